import { randomUUID } from 'node:crypto';
import { HubConnectionState } from '@microsoft/signalr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type Envelope, type MessageEvent } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, signAgentToken, startGateway, statusQuery, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';
import { buildHubConnection, connectHubAgent, recordHubEvents, type HubAgent } from '../helpers/signalr-harness.js';

describe('SignalR hub (@microsoft/signalr client)', () => {
  let bus: TestBus;
  let gwA: TestGateway;
  let gwB: TestGateway;
  const hubs: HubAgent[] = [];
  const natives: TestAgent[] = [];

  const hubAgent = async (gateway: TestGateway, options: Parameters<typeof connectHubAgent>[1] = {}) => {
    const agent = await connectHubAgent(gateway, options);
    hubs.push(agent);
    return agent;
  };
  const nativeAgent = async (gateway: TestGateway, options: Parameters<typeof connectAgent>[1] = {}) => {
    const agent = await connectAgent(gateway, options);
    natives.push(agent);
    return agent;
  };
  const storedEvent = async (seq: number) => (await bus.jsm.streams.getMessage(bus.stream, { seq })).json<MessageEvent>();

  beforeAll(async () => {
    bus = await createTestBus('signalr');
    gwA = await startGateway(bus, { env: { GATEWAY_ID: 'sr-a' } });
    gwB = await startGateway(bus, { env: { GATEWAY_ID: 'sr-b' } });
  });

  afterAll(async () => {
    await Promise.all(hubs.map((a) => a.hub.stop()));
    await Promise.all(natives.map((a) => a.client.close()));
    await gwA?.close();
    await gwB?.close();
    await bus?.close();
  });

  it('negotiates, connects and registers; the negotiated connection id is the relay connection', async () => {
    const agent = await hubAgent(gwA, { role: 'planner' });
    expect(agent.hub.state).toBe(HubConnectionState.Connected);
    const entry = gwA.app.gateway.relay.registry.get(agent.hub.connectionId!);
    expect(entry?.connection.protocol).toBe('signalr');
    expect(entry?.agent).toEqual({ agentId: agent.agentId, role: 'planner', platform: 'node', environment: 'signalr-test', capabilities: ['hub'] });
    // Visible cluster-wide, like a native agent.
    await waitFor(() => gwB.app.gateway.relay.directory.find('alpha', agent.agentId), { description: 'the agent in the other gateway directory' });
  });

  it('connects without negotiation (skipNegotiation + WebSockets) and answers through completions', async () => {
    const agent = await hubAgent(gwB, { skipNegotiation: true });
    expect(agent.hub.connectionId).toBeNull();
    expect(await agent.hub.invoke('Ping')).toBe('pong');
    const ack = await agent.hub.invoke('Heartbeat');
    expect(ack).toMatchObject({ agentId: agent.agentId });
    await waitFor(() => agent.events.HeartbeatAck.length === 1, { description: 'HeartbeatAck event' });
    expect(agent.events.HeartbeatAck[0]).toEqual(ack);
  });

  it('broadcasts between a SignalR agent and a native agent across two gateways, stored as native sends are', async () => {
    const hub = await hubAgent(gwA);
    const native = await nativeAgent(gwB);

    // SignalR → native: an object message, stored on the stream as a MessageEvent.
    const sent = await hub.hub.invoke('SendMessage', { protocolVersion: PROTOCOL_VERSION, messageType: 'status_query', payload: { question: 'ready?' } });
    expect(sent).toMatchObject({ duplicate: false });
    const frame = await waitFor(() => native.received.find((f) => f.message.id === sent.id), { description: 'the hub message at the native agent' });
    expect(frame.seq).toBe(sent.seq);
    expect(frame.message).toMatchObject({ senderId: hub.agentId, recipientId: null, messageType: 'status_query', payload: { question: 'ready?' } });
    const stored = await storedEvent(sent.seq);
    expect(stored).toMatchObject({ kind: 'message', channel: 'alpha', gatewayId: 'sr-a', recipientRole: null });
    expect(stored.message).toEqual(frame.message);

    // native → SignalR: ReceiveMessage(envelope).
    const ack = await native.client.send(statusQuery({ payload: { question: 'and you?' } }));
    const received = await waitFor(() => hub.received.find((m) => m.id === ack.id), { description: 'the native message at the hub agent' });
    expect(received).toEqual((await storedEvent(ack.seq)).message);
    expect(hub.received.some((m) => m.id === sent.id)).toBe(false);
  });

  it('maps old-style messages (JSON strings, upper-case types, named priorities, metadata) to envelopes', async () => {
    const hub = await hubAgent(gwA);
    const native = await nativeAgent(gwA);
    const taskId = randomUUID();
    const oldStyle = {
      protocolVersion: '1.0.0',
      messageType: 'TASK_PROGRESS',
      senderId: hub.agentId,
      recipientId: '',
      timestamp: '2026-02-15T10:30:00.0000000Z',
      correlationId: null,
      priority: 'high',
      payload: { taskId, percentComplete: 40, status: 'parsing' },
      metadata: { source: 'github', issueNumber: 123 },
    };
    const sent = await hub.hub.invoke('SendMessage', JSON.stringify(oldStyle));
    const frame = await waitFor(() => native.received.find((f) => f.message.id === sent.id), { description: 'the old-style message' });
    expect(frame.message).toEqual({
      id: sent.id,
      protocolVersion: '1.0',
      messageType: 'task_progress',
      senderId: hub.agentId,
      recipientId: null,
      taskId,
      priority: 8,
      timestamp: '2026-02-15T10:30:00.0000000Z',
      correlationId: null,
      payload: { taskId, percentComplete: 40, status: 'parsing', metadata: { source: 'github', issueNumber: 123 } },
    } satisfies Envelope);
  });

  it('refuses invalid messages: completion error when invoked, MessageError when sent without waiting', async () => {
    const hub = await hubAgent(gwA);
    const before = await bus.streamMessages();
    await expect(hub.hub.invoke('SendMessage', { messageType: 'task_progress', payload: { percentComplete: 500 } })).rejects.toThrow(
      /^invalid_message: \/message\/payload\/taskId is required/,
    );
    await expect(hub.hub.invoke('SendMessage', '{not json')).rejects.toThrow(/^invalid_json: /);
    await expect(hub.hub.invoke('SendMessage', { messageType: 'status_query', senderId: randomUUID() })).rejects.toThrow(/^sender_mismatch: /);
    await expect(hub.hub.invoke('SendMessage')).rejects.toThrow(/^invalid_frame: 'SendMessage' takes 1 argument/);

    const original = { messageType: 'no_such_type', payload: {} };
    await hub.hub.send('SendMessage', original);
    const error = await waitFor(() => hub.events.MessageError[0], { description: 'MessageError' });
    expect(error).toMatchObject({ error: 'InvalidMessage', code: 'invalid_message', field: '/message/messageType', retryable: false, originalMessage: original });
    expect(await bus.streamMessages()).toBe(before);
  });

  it('unicasts with SendMessageToAgent across gateways, and reports RecipientNotFound the old way', async () => {
    const sender = await hubAgent(gwA);
    const recipient = await hubAgent(gwB);
    const native = await nativeAgent(gwB);
    await waitFor(() => gwA.app.gateway.relay.directory.find('alpha', recipient.agentId), { description: 'recipient in the directory' });

    const sent = await sender.hub.invoke('SendMessageToAgent', recipient.agentId, { messageType: 'STATUS_QUERY', payload: { q: 1 } });
    const got = await waitFor(() => recipient.received.find((m) => m.id === sent.id), { description: 'the unicast' });
    expect(got).toMatchObject({ recipientId: recipient.agentId, senderId: sender.agentId });
    const marker = await sender.hub.invoke('SendMessage', { messageType: 'status_query', payload: {} });
    await waitFor(() => native.received.some((f) => f.message.id === marker.id), { description: 'a later broadcast' });
    expect(native.received.some((f) => f.message.id === sent.id)).toBe(false);

    // To a native agent too.
    const toNative = await sender.hub.invoke('SendMessageToAgent', native.agentId, { messageType: 'status_query', payload: {} });
    await waitFor(() => native.received.some((f) => f.message.id === toNative.id), { description: 'the unicast to the native agent' });

    const before = await bus.streamMessages();
    const absent = randomUUID();
    const message = { messageType: 'status_query', payload: { q: 2 } };
    expect(await sender.hub.invoke('SendMessageToAgent', absent, message)).toBeNull();
    expect(await sender.hub.invoke('SendMessageToAgent', 'dev-agent-1', message)).toBeNull();
    await waitFor(() => sender.events.MessageError.length === 2, { description: 'two MessageErrors' });
    expect(sender.events.MessageError[0]).toMatchObject({ error: 'RecipientNotFound', code: 'recipient_not_found', originalMessage: message });
    expect(await bus.streamMessages()).toBe(before);
  });

  it('lists agents, queries status and announces agents joining and leaving', async () => {
    const hub = await hubAgent(gwA);
    const native = await nativeAgent(gwB, { role: 'reviewer' });
    const joined = await waitFor(() => hub.events.AgentConnected.find((a) => (a as { agentId: string }).agentId === native.agentId), {
      description: 'AgentConnected',
    });
    expect(joined).toMatchObject({ agentId: native.agentId, role: 'reviewer', platform: 'test', gatewayId: 'sr-b', reason: null });

    const agents = (await hub.hub.invoke('GetConnectedAgents')) as { agentId: string }[];
    expect(agents.map((a) => a.agentId)).toEqual(expect.arrayContaining([hub.agentId, native.agentId]));
    await waitFor(() => hub.events.ConnectedAgents.length === 1, { description: 'ConnectedAgents event' });

    const status = await hub.hub.invoke('QueryStatus', native.agentId);
    expect(status).toMatchObject({ agentId: native.agentId, isConnected: true, connectionCount: 1, agent: { role: 'reviewer', gatewayId: 'sr-b' } });
    expect(await hub.hub.invoke('QueryStatus', randomUUID())).toMatchObject({ isConnected: false, connectionCount: 0, connections: [], agent: null });
    await waitFor(() => hub.events.AgentStatus.length === 2, { description: 'AgentStatus events' });

    await native.client.close();
    const left = await waitFor(() => hub.events.AgentDisconnected.find((a) => (a as { agentId: string }).agentId === native.agentId), {
      description: 'AgentDisconnected',
    });
    expect(left).toMatchObject({ agentId: native.agentId, role: 'reviewer' });
  });

  it('needs RegisterAgent first, and holds registration to the token (JWT bound to an agent)', async () => {
    const hub = buildHubConnection(gwA);
    await hub.start();
    try {
      await expect(hub.invoke('SendMessage', { messageType: 'status_query', payload: {} })).rejects.toThrow(/^not_registered: /);
      await expect(hub.invoke('RegisterAgent', 'not-a-uuid', 'worker')).rejects.toThrow(/^invalid_frame: \/agentId must match format/);
      await expect(hub.invoke('RegisterAgent', randomUUID(), 'worker', { platform: 7 })).rejects.toThrow(/^invalid_frame: \/metadata\/platform/);
    } finally {
      await hub.stop();
    }

    const boundId = randomUUID();
    const token = await signAgentToken({ channel: 'alpha', agentId: boundId, role: 'coder' });
    const bound = buildHubConnection(gwA, { token, noChannelParam: true });
    recordHubEvents(bound);
    await bound.start();
    try {
      await expect(bound.invoke('RegisterAgent', randomUUID(), 'coder')).rejects.toThrow(/^forbidden: /);
      expect(await bound.invoke('RegisterAgent', boundId, 'coder')).toMatchObject({ agentId: boundId, channel: 'alpha' });
    } finally {
      await bound.stop();
    }
  });

  it('stops (no automatic reconnect) when the same agent registers on a newer connection', async () => {
    const agentId = randomUUID();
    const older = buildHubConnection(gwA, { reconnectDelaysMs: [0] });
    const closed = new Promise<Error | undefined>((resolve) => older.onclose(resolve));
    await older.start();
    await older.invoke('RegisterAgent', agentId, 'worker');
    await nativeAgent(gwB, { agentId });
    expect((await closed)?.message).toMatch(/replaced by a newer connection/);
    expect(older.state).toBe(HubConnectionState.Disconnected);
  });

  it('refuses negotiation without valid credentials (start fails, nothing opened)', async () => {
    const hub = buildHubConnection(gwA, { token: 'wrong-token' });
    await expect(hub.start()).rejects.toThrow(/401/);
    expect(hub.state).toBe(HubConnectionState.Disconnected);
  });
});
