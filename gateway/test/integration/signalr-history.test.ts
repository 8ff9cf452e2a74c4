import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Envelope } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { startGateway, type TestGateway } from '../helpers/gateway-harness.js';
import { createPersistedWorld, type PersistedWorld } from '../helpers/persistence-harness.js';
import { buildHubConnection, connectHubAgent, type HubAgent } from '../helpers/signalr-harness.js';

/** GetMessageHistory against the persistence service (in this process), through the gateway's query client. */
describe('SignalR GetMessageHistory', () => {
  let world: PersistedWorld;
  let gateway: TestGateway;
  const hubs: HubAgent[] = [];

  beforeAll(async () => {
    world = await createPersistedWorld('srhistory');
    gateway = await startGateway(world.bus);
    await world.persistence.start();
  });

  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.hub.stop()));
    await gateway?.close();
    await world?.close();
  });

  it('returns the channel history newest first, limited and before a time, never another channel', async () => {
    const alpha = await connectHubAgent(gateway);
    const beta = await connectHubAgent(gateway, { channel: 'beta' });
    hubs.push(alpha, beta);
    const times = ['2026-03-01T10:00:00.000Z', '2026-03-01T10:01:00.000Z', '2026-03-01T10:02:00.000Z'];
    const sent: { id: string }[] = [];
    for (const [i, timestamp] of times.entries()) {
      sent.push(await alpha.hub.invoke('SendMessage', { messageType: 'status_query', timestamp, payload: { n: i } }));
    }
    await beta.hub.invoke('SendMessage', { messageType: 'status_query', timestamp: times[1], payload: { other: true } });

    const history = await waitFor(
      async () => {
        const page = (await alpha.hub.invoke('GetMessageHistory', 10)) as Envelope[];
        return page.length === 3 ? page : null;
      },
      { description: 'three stored messages' },
    );
    expect(history.map((m) => m.id)).toEqual(sent.map((s) => s.id).reverse());
    expect(history[0]).toEqual({
      id: sent[2]!.id,
      protocolVersion: '1.0',
      messageType: 'status_query',
      senderId: alpha.agentId,
      recipientId: null,
      taskId: null,
      priority: 5,
      timestamp: times[2],
      correlationId: null,
      payload: { n: 2 },
    });

    expect(((await alpha.hub.invoke('GetMessageHistory', 2)) as Envelope[]).map((m) => m.id)).toEqual([sent[2]!.id, sent[1]!.id]);
    expect(((await alpha.hub.invoke('GetMessageHistory', 10, times[2])) as Envelope[]).map((m) => m.id)).toEqual([sent[1]!.id, sent[0]!.id]);
    // The old client passes `undefined` for a missing `before`, which arrives as null.
    expect((await alpha.hub.invoke('GetMessageHistory', 1, undefined)) as Envelope[]).toHaveLength(1);

    const betaHistory = await waitFor(async () => {
      const page = (await beta.hub.invoke('GetMessageHistory', 10)) as Envelope[];
      return page.length > 0 ? page : null;
    });
    expect(betaHistory.map((m) => m.payload)).toEqual([{ other: true }]);
  });

  it('returns JSON strings of the envelopes to a messageFormat=string connection (registered by its URL)', async () => {
    const agentId = randomUUID();
    const legacy = buildHubConnection(gateway, { query: `agentId=${agentId}&role=developer&messageFormat=string` });
    await legacy.start();
    try {
      const sent = (await legacy.invoke('SendMessage', { messageType: 'status_query', payload: { legacy: true } })) as { id: string };
      const page = await waitFor(
        async () => {
          const messages = (await legacy.invoke('GetMessageHistory', 100)) as unknown[];
          return messages.some((m) => typeof m === 'string' && (JSON.parse(m) as Envelope).id === sent.id) ? messages : null;
        },
        { description: 'the stored message as a string' },
      );
      expect(page.every((m) => typeof m === 'string')).toBe(true);
      const stored = page.map((m) => JSON.parse(m as string) as Envelope).find((m) => m.id === sent.id);
      expect(stored).toMatchObject({ senderId: agentId, payload: { legacy: true } });
    } finally {
      await legacy.stop();
    }
  });

  it('refuses bad arguments and unregistered callers with completion errors', async () => {
    const agent = await connectHubAgent(gateway);
    hubs.push(agent);
    await expect(agent.hub.invoke('GetMessageHistory', 0)).rejects.toThrow(/^invalid_frame: \/limit/);
    await expect(agent.hub.invoke('GetMessageHistory', 10, 'yesterday')).rejects.toThrow(/^invalid_frame: \/before/);
    expect(await agent.hub.invoke('GetMessageHistory', 10_000)).toEqual(expect.any(Array));

    const unregistered = buildHubConnection(gateway);
    await unregistered.start();
    try {
      await expect(unregistered.invoke('GetMessageHistory', 10)).rejects.toThrow(/^not_registered: /);
    } finally {
      await unregistered.stop();
    }
  });
});
