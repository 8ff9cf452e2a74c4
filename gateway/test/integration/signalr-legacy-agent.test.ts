import { randomUUID } from 'node:crypto';
import type { HubConnection } from '@microsoft/signalr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, MessageEvent } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, signAgentToken, startGateway, statusQuery, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';
import { buildHubConnection, negotiate, openRawHub, recordHubEvents, type HubConnectionOptions, type HubEventName } from '../helpers/signalr-harness.js';

/**
 * Agents of the old relay moved by changing only the hub URL: `agentId`/`role` register them after
 * the handshake (they never call RegisterAgent), `messageFormat=string` gives ReceiveMessage the
 * JSON string their handler parses.
 */
describe('SignalR hub: existing agents that change only the hub URL', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  const hubs: HubConnection[] = [];
  const natives: TestAgent[] = [];

  /** The old agent's message, as its SignalRChannel sends it: a JSON string in the old shape. */
  const oldMessage = (senderId: string, payload: Record<string, unknown>) =>
    JSON.stringify({ protocolVersion: '1.0.0', messageType: 'STATUS_QUERY', senderId, recipientId: '', priority: 'normal', payload });

  const legacyAgent = async (options: HubConnectionOptions & { agentId?: string } = {}) => {
    const agentId = options.agentId ?? randomUUID();
    const hub = buildHubConnection(gateway, { query: `agentId=${agentId}&role=developer&platform=Linux&messageFormat=string`, ...options });
    hubs.push(hub);
    const events = recordHubEvents(hub);
    await hub.start();
    return { hub, agentId, events };
  };
  const nativeAgent = async () => {
    const agent = await connectAgent(gateway);
    natives.push(agent);
    return agent;
  };
  const storedEnvelope = async (seq: number) => (await bus.jsm.streams.getMessage(bus.stream, { seq })).json<MessageEvent>().message;

  beforeAll(async () => {
    bus = await createTestBus('srlegacy');
    gateway = await startGateway(bus);
  });

  afterAll(async () => {
    await Promise.all(hubs.map((hub) => hub.stop()));
    await Promise.all(natives.map((agent) => agent.client.close()));
    await gateway?.close();
    await bus?.close();
  });

  /** The legacy agent's round trip with a native agent: it sends first thing, and parses what it receives. */
  async function roundTrip(legacy: { hub: HubConnection; agentId: string; events: Record<HubEventName, unknown[]> }, native: TestAgent) {
    // Sent right after start, without RegisterAgent: the registration from the URL goes first.
    const sent = (await legacy.hub.invoke('SendMessage', oldMessage(legacy.agentId, { question: 'ready?' }))) as { id: string; seq: number };
    const atNative = await waitFor(() => native.received.find((f) => f.message.id === sent.id), { description: 'the legacy message at the native agent' });
    expect(atNative.message).toMatchObject({ senderId: legacy.agentId, messageType: 'status_query', priority: 5, payload: { question: 'ready?' } });

    const ack = await native.client.send(statusQuery({ payload: { question: 'and you?' } }));
    const raw = await waitFor(
      () => legacy.events.ReceiveMessage.find((m) => typeof m === 'string' && (JSON.parse(m) as Envelope).id === ack.id),
      { description: 'the native message at the legacy agent' },
    );
    expect(typeof raw).toBe('string');
    expect(JSON.parse(raw as string)).toEqual(await storedEnvelope(ack.seq));
    expect(legacy.events.ReceiveMessage.every((m) => typeof m === 'string')).toBe(true);
  }

  it('registers from the URL, sends without RegisterAgent and receives ReceiveMessage as a JSON string', async () => {
    const native = await nativeAgent();
    const legacy = await legacyAgent();
    await roundTrip(legacy, native);

    const entry = gateway.app.gateway.relay.registry.get(legacy.hub.connectionId!);
    expect(entry?.agent).toEqual({ agentId: legacy.agentId, role: 'developer', platform: 'Linux', environment: '', capabilities: [] });
    const joined = await waitFor(() => native.presence.find((p) => p.agent.agentId === legacy.agentId), { description: 'the legacy agent announced' });
    expect(joined.event).toBe('agent_joined');

    // Presence events stay objects; only envelopes become strings.
    const other = await nativeAgent();
    const announced = await waitFor(() => legacy.events.AgentConnected.find((a) => (a as { agentId: string }).agentId === other.agentId), {
      description: 'AgentConnected at the legacy agent',
    });
    expect(announced).toMatchObject({ agentId: other.agentId, role: 'worker' });
  });

  it('works with skipNegotiation (the options of the WebSocket URL)', async () => {
    const native = await nativeAgent();
    const legacy = await legacyAgent({ skipNegotiation: true });
    expect(legacy.hub.connectionId).toBeNull();
    await roundTrip(legacy, native);
  });

  it('accepts an explicit RegisterAgent of the same agent as a no-op, refuses another', async () => {
    const legacy = await legacyAgent();
    const first = (await legacy.hub.invoke('Heartbeat')) as { agentId: string };
    expect(first.agentId).toBe(legacy.agentId);
    const streamBefore = await bus.streamMessages();
    const again = await legacy.hub.invoke('RegisterAgent', legacy.agentId.toUpperCase(), 'developer', { platform: 'Linux' });
    expect(again).toMatchObject({ agentId: legacy.agentId, channel: 'alpha', connectionId: legacy.hub.connectionId });
    expect(await bus.streamMessages()).toBe(streamBefore);
    await expect(legacy.hub.invoke('RegisterAgent', randomUUID(), 'developer')).rejects.toThrow(/^already_registered: /);
    await expect(legacy.hub.invoke('RegisterAgent', legacy.agentId, 'reviewer')).rejects.toThrow(/^already_registered: /);
  });

  it('keeps the default (object messages, RegisterAgent needed) when asked for messageFormat=object', async () => {
    const native = await nativeAgent();
    const hub = buildHubConnection(gateway, { query: 'messageFormat=object' });
    hubs.push(hub);
    const events = recordHubEvents(hub);
    await hub.start();
    await expect(hub.invoke('SendMessage', oldMessage(randomUUID(), {}))).rejects.toThrow(/^not_registered: /);
    await hub.invoke('RegisterAgent', randomUUID(), 'worker');
    const ack = await native.client.send(statusQuery());
    const received = await waitFor(() => events.ReceiveMessage.find((m) => (m as Envelope).id === ack.id), { description: 'object ReceiveMessage' });
    expect(received).toEqual(await storedEnvelope(ack.seq));
  });

  it('refuses bad URL options before the upgrade and at negotiate, with a 400 naming the parameter', async () => {
    const badId = 'channel=alpha&agentId=dev-agent-1&role=developer';
    const refusal = { status: 400, body: { code: 'invalid_frame', field: '/agentId' } };
    expect(await negotiate(gateway, { query: badId })).toMatchObject(refusal);
    await expect(openRawHub(gateway, { query: badId })).rejects.toMatchObject(refusal);
    await expect(openRawHub(gateway, { query: 'channel=alpha&agentId=' + randomUUID() })).rejects.toMatchObject({ status: 400, body: { field: '/role' } });
    await expect(openRawHub(gateway, { query: 'channel=alpha&messageFormat=xml' })).rejects.toMatchObject({ status: 400, body: { field: '/messageFormat' } });

    // The real client: negotiate refused, or (skipNegotiation) the WebSocket refused; nothing registered.
    const registered = gateway.app.gateway.relay.registry.size;
    await expect(buildHubConnection(gateway, { query: 'agentId=nope&role=developer' }).start()).rejects.toThrow(/400/);
    await expect(buildHubConnection(gateway, { query: 'agentId=nope&role=developer', skipNegotiation: true }).start()).rejects.toThrow();
    expect(gateway.app.gateway.relay.registry.size).toBe(registered);
  });

  it('holds the URL registration to a JWT bound to an agent (403 before the upgrade)', async () => {
    const boundId = randomUUID();
    const token = await signAgentToken({ channel: 'alpha', agentId: boundId, role: 'developer' });
    const refusal = { status: 403, body: { code: 'forbidden', field: '/agentId' } };
    expect(await negotiate(gateway, { query: `agentId=${randomUUID()}&role=developer`, token })).toMatchObject(refusal);
    await expect(openRawHub(gateway, { query: `agentId=${randomUUID()}&role=developer`, token })).rejects.toMatchObject(refusal);

    const native = await nativeAgent();
    const legacy = await legacyAgent({ agentId: boundId, token, noChannelParam: true });
    await roundTrip(legacy, native);
  });
});
