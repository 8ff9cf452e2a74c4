import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, type RegisteredFrame } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, startGateway, statusQuery, TEST_TOKENS, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

describe('RelayClient against a gateway', () => {
  let bus: TestBus;
  let gateway: TestGateway;

  beforeAll(async () => {
    bus = await createTestBus('client');
    gateway = await startGateway(bus);
  });

  afterAll(async () => {
    await gateway?.close();
    await bus?.close();
  });

  it('reconnects with backoff after a 1012 and registers again, then delivers', async () => {
    const agentId = randomUUID();
    const client = await RelayClient.connect(gateway.wsUrl, {
      token: TEST_TOKENS.alpha,
      channel: 'alpha',
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const received: string[] = [];
    client.on('message', (frame) => received.push(frame.message.id));
    const first = await client.register({ agentId, role: 'worker' });
    const reconnected = new Promise<RegisteredFrame | null>((resolve) => client.once('reconnected', resolve));
    const closes: number[] = [];
    client.on('close', (e) => closes.push(e.code));
    // The gateway asks the client to come back (as at shutdown).
    gateway.app.gateway.relay.registry.get(first.connectionId)!.connection.close(CLOSE_CODES.reconnect, 'test');
    const again = await reconnected;
    expect(closes).toEqual([CLOSE_CODES.reconnect]);
    expect(again).toMatchObject({ agentId, channel: 'alpha' });
    expect(again!.connectionId).not.toBe(first.connectionId);
    expect(client.registered?.connectionId).toBe(again!.connectionId);

    const peer = await connectAgent(gateway);
    const ack = await peer.client.send(statusQuery({ recipientId: agentId }));
    await waitFor(() => received.includes(ack.id), { description: 'the unicast after reconnecting' });
    await Promise.all([client.close(), peer.client.close()]);
  });

  it('does not reconnect after being replaced (4002) or after close()', async () => {
    const agentId = randomUUID();
    const older = await connectAgent(gateway, { agentId, reconnect: { initialDelayMs: 10 } });
    const closed = new Promise<{ code: number; reconnecting: boolean }>((resolve) => older.client.once('close', resolve));
    const newer = await connectAgent(gateway, { agentId });
    expect(await closed).toMatchObject({ code: CLOSE_CODES.replaced, reconnecting: false });
    const closing = new Promise<{ reconnecting: boolean }>((resolve) => newer.client.once('close', resolve));
    await newer.client.close();
    expect(await closing).toMatchObject({ reconnecting: false });
  });

  it('rejects pending requests when the connection drops, with a retryable error', async () => {
    const agent = await connectAgent(gateway, { reconnect: false });
    const pending = agent.client.listAgents();
    gateway.app.gateway.relay.registry.get(agent.client.registered!.connectionId)!.connection.close(CLOSE_CODES.reconnect, 'test');
    // The reply may win the race; either outcome must settle, and a failure is retryable.
    const outcome = await pending.then(() => 'resolved', (e: unknown) => e);
    if (outcome !== 'resolved') expect(outcome).toMatchObject({ code: 'unavailable', retryable: true });
  });
});
