import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, startGateway, statusQuery, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

describe('two gateways on one NATS', () => {
  let bus: TestBus;
  let gwA: TestGateway;
  let gwB: TestGateway;
  const agents: TestAgent[] = [];

  const connect = async (gateway: TestGateway, options: Parameters<typeof connectAgent>[1] = {}) => {
    const agent = await connectAgent(gateway, options);
    agents.push(agent);
    return agent;
  };

  beforeAll(async () => {
    bus = await createTestBus('cluster');
    gwA = await startGateway(bus, { env: { GATEWAY_ID: 'gw-a' } });
    gwB = await startGateway(bus, { env: { GATEWAY_ID: 'gw-b' } });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.client.close()));
    await gwA?.close();
    await gwB?.close();
    await bus?.close();
  });

  it('broadcasts to every other agent of the channel on both gateways, with the stream sequence', async () => {
    const sender = await connect(gwA, { role: 'lead' });
    const sameGateway = await connect(gwA);
    const otherGateway = await connect(gwB);
    const otherChannel = await connect(gwB, { channel: 'beta' });

    const ack = await sender.client.send(statusQuery());
    expect(ack).toMatchObject({ type: 'ack', duplicate: false });
    expect(ack.seq).toBeGreaterThan(0);

    for (const receiver of [sameGateway, otherGateway]) {
      const frame = await waitFor(() => receiver.received.find((f) => f.message.id === ack.id), { description: 'broadcast' });
      expect(frame.seq).toBe(ack.seq);
      expect(frame.message).toMatchObject({ senderId: sender.agentId, recipientId: null, priority: 5, messageType: 'status_query' });
    }
    // A later message proves the earlier one was not delivered where it should not be.
    const marker = await sender.client.send(statusQuery());
    await waitFor(() => otherGateway.received.some((f) => f.message.id === marker.id));
    expect(sender.received.some((f) => f.message.id === ack.id)).toBe(false);
    expect(otherChannel.received).toEqual([]);
  });

  it('delivers a unicast across gateways only to its recipient', async () => {
    const sender = await connect(gwA);
    const recipient = await connect(gwB);
    const bystander = await connect(gwB);
    const ack = await sender.client.send(statusQuery({ recipientId: recipient.agentId }));
    const frame = await waitFor(() => recipient.received.find((f) => f.message.id === ack.id));
    expect(frame.message.recipientId).toBe(recipient.agentId);
    const marker = await sender.client.send(statusQuery());
    await waitFor(() => bystander.received.some((f) => f.message.id === marker.id));
    expect(bystander.received.some((f) => f.message.id === ack.id)).toBe(false);
  });

  it('delivers to every agent of a role on both gateways', async () => {
    const role = `reviewer-${randomUUID().slice(0, 8)}`;
    const sender = await connect(gwB, { role });
    const reviewerA = await connect(gwA, { role });
    const reviewerB = await connect(gwB, { role });
    const other = await connect(gwA, { role: 'tester' });
    const ack = await sender.client.send(statusQuery(), { recipientRole: role });
    for (const reviewer of [reviewerA, reviewerB]) {
      const frame = await waitFor(() => reviewer.received.find((f) => f.message.id === ack.id));
      expect(frame.recipientRole).toBe(role);
    }
    const marker = await sender.client.send(statusQuery());
    await waitFor(() => other.received.some((f) => f.message.id === marker.id));
    expect(other.received.some((f) => f.message.id === ack.id)).toBe(false);
    expect(sender.received.some((f) => f.message.id === ack.id)).toBe(false);
  });

  it('refuses a unicast to an agent connected nowhere, publishing nothing', async () => {
    const sender = await connect(gwA);
    const before = await bus.streamMessages();
    const error = await sender.client.send(statusQuery({ recipientId: randomUUID() })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ code: 'recipient_not_found', field: '/message/recipientId', retryable: false });
    expect(await bus.streamMessages()).toBe(before);
  });

  it('lists the agents of the channel on every gateway, and answers agent_status', async () => {
    const onA = await connect(gwA, { channel: 'beta', role: 'planner' });
    const onB = await connect(gwB, { channel: 'beta', role: 'coder' });
    const listed = await waitFor(async () => {
      const list = await onA.client.listAgents();
      return list.some((a) => a.agentId === onB.agentId) ? list : null;
    });
    expect(listed.map((a) => [a.agentId, a.role, a.gatewayId])).toEqual(
      expect.arrayContaining([
        [onA.agentId, 'planner', 'gw-a'],
        [onB.agentId, 'coder', 'gw-b'],
      ]),
    );
    expect(listed.every((a) => a.agentId !== agents[0]!.agentId)).toBe(true); // alpha's agents stay out
    expect(await onA.client.agentStatus(onB.agentId)).toMatchObject({ agentId: onB.agentId, gatewayId: 'gw-b', platform: 'test' });
    expect(await onB.client.agentStatus(randomUUID())).toBeNull();
    // A gateway started later learns the existing agents from its peers' snapshots.
    const gwC = await startGateway(bus, { env: { GATEWAY_ID: 'gw-c' } });
    try {
      const onC = await connect(gwC, { channel: 'beta' });
      const ids = (await onC.client.listAgents()).map((a) => a.agentId);
      expect(ids).toEqual(expect.arrayContaining([onA.agentId, onB.agentId, onC.agentId]));
    } finally {
      await gwC.close();
    }
  });

  it('tells the other agents of the channel who joined and left, across gateways', async () => {
    const watcher = await connect(gwA, { channel: 'beta' });
    const visitor = await connectAgent(gwB, { channel: 'beta' });
    await waitFor(() => watcher.presence.find((p) => p.event === 'agent_joined' && p.agent.agentId === visitor.agentId));
    await visitor.client.close();
    const left = await waitFor(() => watcher.presence.find((p) => p.event === 'agent_left' && p.agent.agentId === visitor.agentId));
    expect(left).toMatchObject({ gatewayId: 'gw-b', agent: { role: 'worker' } });
    expect(left.seq).toBeGreaterThan(0);
    await waitFor(async () => (await watcher.client.agentStatus(visitor.agentId)) === null);
  });

  it('replaces an older connection of the same agent on another gateway (4002)', async () => {
    const agentId = randomUUID();
    const first = await connect(gwA, { agentId, channel: 'beta' });
    const closed = new Promise<number>((resolve) => first.client.once('close', (e) => resolve(e.code)));
    await connect(gwB, { agentId, channel: 'beta' });
    expect(await closed).toBe(4002);
  });
});
