import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, type PresenceEvent } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, startGateway, testGatewayEnv, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';

describe('a real gateway process', () => {
  let bus: TestBus;
  let observer: TestGateway;
  const processes: GatewayProcess[] = [];

  const spawn = async (env: Record<string, string> = {}) => {
    const gateway = await spawnGateway(testGatewayEnv(bus, { LOG_LEVEL: 'info', ...env }));
    processes.push(gateway);
    return gateway;
  };
  /** The last presence event of an agent, as stored on the stream. */
  const lastPresence = (agentId: string) =>
    bus.jsm.streams
      .getMessage(bus.stream, { last_by_subj: `${bus.prefix}.presence.alpha.${agentId}` })
      .then((m) => m.json<PresenceEvent>())
      .catch(() => null);

  beforeAll(async () => {
    bus = await createTestBus('proc');
    // An in-process peer watches the cluster directory.
    observer = await startGateway(bus, { env: { GATEWAY_ID: 'observer', PEER_BEACON_INTERVAL_MS: '200' } });
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await observer?.close();
    await bus?.close();
  });

  it('drains on SIGTERM: agents leave, clients get 1012, exit 0', async () => {
    const gateway = await spawn({ GATEWAY_ID: 'drained' });
    const target = { wsUrl: gateway.wsUrl } as TestGateway;
    const agents = await Promise.all([connectAgent(target), connectAgent(target, { role: 'lead' })]);
    const closes = agents.map((a) => new Promise<number>((resolve) => a.client.once('close', (e) => resolve(e.code))));
    const watcher = await connectAgent(observer);
    await waitFor(async () => (await watcher.client.listAgents()).length === 3);

    gateway.child.kill('SIGTERM');
    expect(await Promise.all(closes)).toEqual([CLOSE_CODES.reconnect, CLOSE_CODES.reconnect]);
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    for (const agent of agents) {
      expect(await lastPresence(agent.agentId)).toMatchObject({ event: 'agent_left', gatewayId: 'drained', reason: 'gateway shutdown' });
    }
    expect((await watcher.client.listAgents()).map((a) => a.agentId)).toEqual([watcher.agentId]);
    await watcher.client.close();
  });

  it('drops the agents of a gateway that dies without a goodbye, and records their departure', async () => {
    const gateway = await spawn({ GATEWAY_ID: 'doomed', PEER_BEACON_INTERVAL_MS: '200' });
    const agent = await connectAgent({ wsUrl: gateway.wsUrl } as TestGateway);
    const watcher = await connectAgent(observer);
    await waitFor(async () => (await watcher.client.agentStatus(agent.agentId)) !== null);

    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await waitFor(async () => (await watcher.client.agentStatus(agent.agentId)) === null, { timeoutMs: 5_000 });
    expect(await waitFor(() => lastPresence(agent.agentId).then((e) => (e?.event === 'agent_left' ? e : null)))).toMatchObject({
      gatewayId: 'doomed',
      reason: 'gateway lost',
    });
    await agent.client.close();
    await watcher.client.close();
  });

  it('prints usage with --help', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'gateway/src/main.ts', '--help'], {
      cwd: new URL('../../../', import.meta.url),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('HEARTBEAT_TIMEOUT_MS');
    expect(result.stdout).toContain('CHANNEL_TOKENS');
  });
});
