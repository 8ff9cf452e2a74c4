import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_SYSTEM_SENDER_ID } from '@coorchat/shared';
import { RelayClient, UpgradeRejectedError } from '@coorchat/shared/client';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, signAgentToken, startGateway, TEST_TOKENS, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

describe('authentication before the upgrade', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  const logLines: string[] = [];
  const clients: RelayClient[] = [];

  const connect = async (options: Parameters<typeof RelayClient.connect>[1]) => {
    const client = await RelayClient.connect(gateway.wsUrl, { reconnect: false, ...options });
    clients.push(client);
    return client;
  };
  const refusal = (options: Parameters<typeof RelayClient.connect>[1]) =>
    connect(options).then(
      () => {
        throw new Error('the upgrade was accepted');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(UpgradeRejectedError);
        return error as UpgradeRejectedError;
      },
    );

  beforeAll(async () => {
    bus = await createTestBus('auth');
    gateway = await startGateway(bus, { logStream: { write: (line) => void logLines.push(line) } });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.close();
    await bus?.close();
  });

  it.each([
    ['no token', { token: '', channel: 'alpha' }, 401, 'unauthorized'],
    ['a wrong token', { token: 'not-the-secret', channel: 'alpha' }, 401, 'unauthorized'],
    ["another channel's token", { token: TEST_TOKENS.beta, channel: 'alpha' }, 403, 'forbidden'],
    ['a shared token without channel', { token: TEST_TOKENS.alpha }, 401, 'unauthorized'],
  ])('refuses %s with HTTP %i', async (_what, options, status, code) => {
    const error = await refusal(options);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
  });

  it('refuses an expired JWT (401) and a JWT of another channel (403)', async () => {
    const expired = await signAgentToken({ channel: 'alpha' }, { expiresInSec: -60 });
    expect(await refusal({ token: expired })).toMatchObject({ status: 401, message: 'token expired' });
    const forged = await signAgentToken({ channel: 'alpha' }, { secret: 'another-secret-of-sufficient-length!!' });
    expect(await refusal({ token: forged })).toMatchObject({ status: 401 });
    const beta = await signAgentToken({ channel: 'beta' });
    expect(await refusal({ token: beta, channel: 'alpha' })).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('accepts a JWT from the access_token query parameter and keeps it out of the logs', async () => {
    const agentId = randomUUID();
    const token = await signAgentToken({ channel: 'beta', role: 'planner', agentId });
    const client = await connect({ token, tokenInQuery: true });
    const registered = await client.register({ agentId, role: 'planner' });
    expect(registered).toMatchObject({ channel: 'beta', agentId });
    expect(logLines.some((line) => line.includes('access_token=[redacted]'))).toBe(true);
    expect(logLines.some((line) => line.includes(token))).toBe(false);
  });

  it('holds registration to the agent id and role the JWT names', async () => {
    const agentId = randomUUID();
    const token = await signAgentToken({ channel: 'alpha', role: 'planner', sub: agentId });
    const client = await connect({ token });
    await expect(client.register({ agentId: randomUUID(), role: 'planner' })).rejects.toMatchObject({ code: 'forbidden', field: '/agentId' });
    await expect(client.register({ agentId, role: 'coder' })).rejects.toMatchObject({ code: 'forbidden', field: '/role' });
    await expect(client.register({ agentId, role: 'planner' })).resolves.toMatchObject({ agentId, channel: 'alpha' });
  });

  it("refuses the relay's own sender id", async () => {
    const client = await connect({ token: TEST_TOKENS.alpha, channel: 'alpha' });
    await expect(client.register({ agentId: RELAY_SYSTEM_SENDER_ID, role: 'x' })).rejects.toMatchObject({ code: 'forbidden', field: '/agentId' });
  });

  it('serves /api/stats for the caller\'s channel only', async () => {
    const agent = await connectAgent(gateway, { channel: 'alpha' });
    clients.push(agent.client);
    const unauthenticated = await fetch(`${gateway.httpUrl}/api/stats?channel=alpha`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ code: 'unauthorized', retryable: false });
    const response = await fetch(`${gateway.httpUrl}/api/stats?channel=alpha`, { headers: { authorization: `Bearer ${TEST_TOKENS.alpha}` } });
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { channel: string; localConnections: number; agents: { agentId: string }[] };
    expect(stats.channel).toBe('alpha');
    expect(stats.agents.map((a) => a.agentId)).toContain(agent.agentId);
    expect(stats.localConnections).toBeGreaterThanOrEqual(1);
    const other = await fetch(`${gateway.httpUrl}/api/stats?channel=alpha`, { headers: { authorization: `Bearer ${TEST_TOKENS.beta}` } });
    expect(other.status).toBe(403);
  });
});

describe('connection limit', () => {
  let bus: TestBus;
  let gateway: TestGateway;

  beforeAll(async () => {
    bus = await createTestBus('limit');
    gateway = await startGateway(bus, { env: { MAX_CONNECTIONS: '2' } });
  });

  afterAll(async () => {
    await gateway?.close();
    await bus?.close();
  });

  it('refuses the upgrade with 503 when the process is full, and admits again once a slot frees', async () => {
    const options = { token: TEST_TOKENS.alpha, channel: 'alpha', reconnect: false } as const;
    const first = await RelayClient.connect(gateway.wsUrl, options);
    const second = await RelayClient.connect(gateway.wsUrl, options);
    const error = await RelayClient.connect(gateway.wsUrl, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'too_many_connections', retryable: true });
    await first.close();
    // The slot frees when the server sees the TCP close, a moment after the client's close.
    const third = await waitFor(() =>
      RelayClient.connect(gateway.wsUrl, options).catch((e: unknown) => {
        if (e instanceof UpgradeRejectedError && e.status === 503) return null;
        throw e;
      }),
    );
    await Promise.all([second.close(), third.close()]);
  });
});
