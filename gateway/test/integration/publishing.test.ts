import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, startGateway, statusQuery, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

describe('publishing to JetStream', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  let sender: TestAgent;
  let receiver: TestAgent;

  beforeAll(async () => {
    bus = await createTestBus('publish');
    gateway = await startGateway(bus, { env: { PUBLISH_TIMEOUT_MS: '200', PUBLISH_ATTEMPTS: '2' } });
    sender = await connectAgent(gateway);
    receiver = await connectAgent(gateway);
  });

  afterAll(async () => {
    await sender?.client.close();
    await receiver?.client.close();
    await gateway?.close();
    await bus?.close();
  });

  it('stores a message once when the client retries with the same id', async () => {
    const id = randomUUID();
    const before = await bus.streamMessages();
    const first = await sender.client.send(statusQuery({ id }));
    const retry = await sender.client.send(statusQuery({ id }));
    expect(first).toMatchObject({ id, duplicate: false });
    expect(retry).toMatchObject({ id, duplicate: true, seq: first.seq });
    expect(await bus.streamMessages()).toBe(before + 1);
    const stored = await bus.jsm.streams.getMessage(bus.stream, { seq: first.seq });
    expect(stored.header.get('Nats-Msg-Id')).toBe(id);
    expect(stored.json()).toMatchObject({ kind: 'message', channel: 'alpha', message: { id, senderId: sender.agentId } });
    // Delivered once as well.
    const marker = await sender.client.send(statusQuery());
    await waitFor(() => receiver.received.some((f) => f.message.id === marker.id));
    expect(receiver.received.filter((f) => f.message.id === id)).toHaveLength(1);
  });

  it('puts presence events on the stream', async () => {
    const visitor = await connectAgent(gateway, { role: 'visitor' });
    await visitor.client.close();
    const sub = bus.prefix + '.presence.alpha.' + visitor.agentId;
    // The join is on the stream first; wait until the leave follows it.
    const left = await waitFor(async () => {
      const last = await bus.jsm.streams.getMessage(bus.stream, { last_by_subj: sub }).catch(() => null);
      return last?.json<{ event: string }>().event === 'agent_left' ? last : null;
    });
    expect(left.json()).toMatchObject({ kind: 'presence', event: 'agent_left', gatewayId: gateway.config.gatewayId, agent: { role: 'visitor' } });
  });

  it('answers a retryable publish_failed when no stream captures the message, and recovers', async () => {
    const info = await bus.jsm.streams.info(bus.stream);
    const original = info.config.subjects!;
    // The stream stops capturing messages (presence stays), so publishes get no PubAck.
    await bus.jsm.streams.update(bus.stream, { subjects: original.filter((s) => !s.includes('.msg.')) });
    try {
      const id = randomUUID();
      const error = await sender.client.send(statusQuery({ id })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RelayError);
      expect(error).toMatchObject({ code: 'publish_failed', retryable: true });
    } finally {
      await bus.jsm.streams.update(bus.stream, { subjects: original });
    }
    await expect(sender.client.send(statusQuery())).resolves.toMatchObject({ type: 'ack', duplicate: false });
  });

  it('retries a publish that gets no PubAck with the same Nats-Msg-Id, then fails retryably', async () => {
    const info = await bus.jsm.streams.info(bus.stream);
    const original = info.config.subjects!;
    // Something answers the subject's requests (no 503) but never acknowledges: a timeout.
    await bus.jsm.streams.update(bus.stream, { subjects: original.filter((s) => !s.includes('.msg.')) });
    const seen: string[] = [];
    const blackHole = bus.nc.subscribe(`${bus.prefix}.msg.>`, { callback: (_e, msg) => seen.push(msg.headers?.get('Nats-Msg-Id') ?? '') });
    try {
      const id = randomUUID();
      const error = await sender.client.send(statusQuery({ id })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'publish_failed', retryable: true });
      expect(seen).toEqual([id, id]);
    } finally {
      blackHole.unsubscribe();
      await bus.jsm.streams.update(bus.stream, { subjects: original });
    }
  });
});
