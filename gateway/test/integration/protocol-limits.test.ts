import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RelayError } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, startGateway, statusQuery, TEST_TOKENS, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

/** Error frames a client receives outside its own requests (raw frames carry refs it never issued). */
function errorsOf(client: RelayClient): RelayError[] {
  const errors: RelayError[] = [];
  client.on('error', (error) => errors.push(error as RelayError));
  return errors;
}

const closeOf = (client: RelayClient) => new Promise<{ code: number; reason: string }>((resolve) => client.once('close', resolve));

describe('malformed input and limits', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  let bystander: TestAgent;
  const clients: RelayClient[] = [];

  beforeAll(async () => {
    bus = await createTestBus('limits');
    gateway = await startGateway(bus, {
      env: { MAX_FRAME_BYTES: '4096', RATE_LIMIT_PER_SEC: '20', RATE_LIMIT_BURST: '20', HEARTBEAT_TIMEOUT_MS: '400', SEND_BUFFER_LIMIT_BYTES: '65536' },
    });
    bystander = await connectAgent(gateway, { heartbeatIntervalMs: 100 });
    clients.push(bystander.client);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.close();
    await bus?.close();
  });

  const fresh = async () => {
    const agent = await connectAgent(gateway, { heartbeatIntervalMs: 100 });
    clients.push(agent.client);
    return agent;
  };

  /** The gateway still serves others: a bystander's broadcast reaches a fresh agent. */
  const stillServing = async () => {
    const probe = await fresh();
    const ack = await bystander.client.send(statusQuery());
    await waitFor(() => probe.received.some((f) => f.message.id === ack.id));
  };

  it('answers invalid JSON with invalid_json and keeps the connection', async () => {
    const agent = await fresh();
    const errors = errorsOf(agent.client);
    agent.client.sendRaw('{"type": "heartbeat"');
    const [error] = await waitFor(() => (errors.length ? errors : null));
    expect(error).toMatchObject({ code: 'invalid_json', retryable: false });
    await expect(agent.client.heartbeat()).resolves.toMatchObject({ type: 'heartbeat_ack' });
  });

  it('names the offending field of a schema error', async () => {
    const agent = await fresh();
    const errors = errorsOf(agent.client);
    agent.client.sendRaw(JSON.stringify({ type: 'shout', ref: 'x1' }));
    agent.client.sendRaw(JSON.stringify({ type: 'agent_status', ref: 'x2', agentId: 'nope' }));
    agent.client.sendRaw(JSON.stringify({ type: 'send', ref: 'x3', message: { ...statusQuery(), priority: 42 } }));
    agent.client.sendRaw(JSON.stringify({ type: 'send', ref: 'x4', message: { protocolVersion: '1.0', messageType: 'task_progress', payload: { taskId: randomUUID(), percentComplete: 101 } } }));
    agent.client.sendRaw(JSON.stringify({ type: 'send', ref: 'x5' }));
    await waitFor(() => errors.length === 5);
    // Unsolicited (unknown-ref) errors reach the error event; the RelayError carries code and field.
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['invalid_frame', '/type'],
      ['invalid_frame', '/agentId'],
      ['invalid_message', '/message/priority'],
      ['invalid_message', '/message/payload/percentComplete'],
      ['invalid_frame', '/message'],
    ]);
    await stillServing();
  });

  it('refuses requests before register with not_registered', async () => {
    const client = await RelayClient.connect(gateway.wsUrl, { token: TEST_TOKENS.alpha, channel: 'alpha', reconnect: false });
    clients.push(client);
    await expect(client.send(statusQuery())).rejects.toMatchObject({ code: 'not_registered' });
    await expect(client.listAgents()).rejects.toMatchObject({ code: 'not_registered' });
    await expect(client.register({ agentId: randomUUID(), role: 'x'.repeat(51) })).rejects.toMatchObject({ code: 'invalid_frame', field: '/role' });
  });

  it('refuses a senderId other than the registered agent', async () => {
    const agent = await fresh();
    await expect(agent.client.send(statusQuery({ senderId: randomUUID() }))).rejects.toMatchObject({
      code: 'sender_mismatch',
      field: '/message/senderId',
    });
    await expect(agent.client.send(statusQuery({ senderId: agent.agentId }))).resolves.toMatchObject({ type: 'ack' });
  });

  it('rate-limits a connection with rate_limited (retryable) and spares the others', async () => {
    const agent = await fresh();
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => agent.client.send(statusQuery())));
    const limited = results.filter((r) => r.status === 'rejected');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ reason: { code: 'rate_limited', retryable: true } });
    await stillServing();
  });

  it('closes a connection that sends an oversize frame with 1009', async () => {
    const agent = await fresh();
    const closed = closeOf(agent.client);
    agent.client.sendRaw(JSON.stringify({ type: 'heartbeat', pad: 'x'.repeat(5_000) }));
    expect((await closed).code).toBe(1009);
    await stillServing();
  });

  it('closes a silent connection with 4000 after the heartbeat timeout', async () => {
    const silent = await connectAgent(gateway, { heartbeatIntervalMs: 0 });
    clients.push(silent.client);
    const started = Date.now();
    expect((await closeOf(silent.client)).code).toBe(4000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(bystander.client.isOpen).toBe(true);
  });
});

describe('slow consumers', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  let sender: TestAgent;
  const SEND_BUFFER_LIMIT = 65_536;

  beforeAll(async () => {
    bus = await createTestBus('slow');
    gateway = await startGateway(bus, { env: { SEND_BUFFER_LIMIT_BYTES: String(SEND_BUFFER_LIMIT) } });
    sender = await connectAgent(gateway);
  });

  afterAll(async () => {
    await sender?.client.close();
    await gateway?.close();
    await bus?.close();
  });

  it('closes a client with 4001 once its send buffer passes the bound', async () => {
    // A raw client whose TCP socket stops reading, so the gateway's writes back up.
    const ws = new WebSocket(`${gateway.wsUrl}?channel=alpha`, { headers: { authorization: `Bearer ${TEST_TOKENS.alpha}` } });
    let socket: Socket | undefined;
    ws.once('upgrade', (response) => (socket = response.socket));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const registered = new Promise((resolve) => ws.once('message', resolve));
    ws.send(JSON.stringify({ type: 'register', agentId: randomUUID(), role: 'sleeper' }));
    await registered;
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    socket!.pause();
    const entry = [...gateway.app.gateway.relay.registry.all()].find((e) => e.agent?.role === 'sleeper')!;
    // Broadcasts of ~100 KB until kernel buffers are full and the gateway's own buffer passes the bound.
    const big = statusQuery({ messageType: 'status_response', payload: { blob: 'y'.repeat(100_000) } });
    for (let i = 0; i < 400 && entry.connection.bufferedAmount <= SEND_BUFFER_LIMIT; i += 1) {
      await sender.client.send({ ...big });
    }
    expect(entry.connection.bufferedAmount).toBeGreaterThan(SEND_BUFFER_LIMIT);
    // The next delivery finds the backlog over the bound and closes instead; once a reading agent
    // got that message, the router has dealt with the sleeper too (same routing pass).
    const watcher = await connectAgent(gateway);
    const last = await sender.client.send({ ...big });
    await waitFor(() => watcher.received.some((f) => f.message.id === last.id));
    await watcher.client.close();
    socket!.resume();
    expect(await closed).toBe(4001);
    // The sender is unaffected.
    await expect(sender.client.heartbeat()).resolves.toMatchObject({ type: 'heartbeat_ack' });
  });
});
