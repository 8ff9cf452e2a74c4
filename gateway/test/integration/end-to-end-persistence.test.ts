import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type MessageType, type OutboundMessage, type QueryResult, type TaskStatus } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import type { RunningPersistence } from '@coorchat/persistence-service';
import { connectAgent, relayErrorOf, startGateway, statusQuery, TEST_TOKENS, type TestAgent, type TestGateway } from '../helpers/gateway-harness.js';
import { createPersistedWorld, storedCount, type PersistedWorld } from '../helpers/persistence-harness.js';

// Gateway → NATS JetStream → persistence service → PostgreSQL, and back through the cold queries.

let world: PersistedWorld;
let service: RunningPersistence;
let gateway: TestGateway;
let planner: TestAgent;
let coder: TestAgent;
const taskId = randomUUID();

beforeAll(async () => {
  world = await createPersistedWorld('gwe2e');
  service = await world.persistence.start();
  gateway = await startGateway(world.bus);
  planner = await connectAgent(gateway, { channel: 'alpha', role: 'planner' });
  coder = await connectAgent(gateway, { channel: 'alpha', role: 'coder' });
});

afterAll(async () => {
  await planner?.client.close();
  await coder?.client.close();
  await gateway?.close();
  await world?.close();
});

function getTask(): Promise<Response> {
  return fetch(`${gateway.httpUrl}/api/tasks/${taskId}?channel=alpha&messagesLimit=10`, {
    headers: { authorization: `Bearer ${TEST_TOKENS.alpha}` },
  });
}

async function taskReaches(status: TaskStatus): Promise<QueryResult<'task'>> {
  return waitFor(
    async () => {
      const response = await getTask();
      if (response.status !== 200) return null;
      const body = (await response.json()) as QueryResult<'task'>;
      return body.task.status === status ? body : null;
    },
    { description: `task ${status}` },
  );
}

function taskMessage(messageType: MessageType, payload: Record<string, unknown>): OutboundMessage {
  return { protocolVersion: PROTOCOL_VERSION, messageType, taskId, payload: { taskId, ...payload } };
}

describe('gateway → persistence end to end', () => {
  it('shows a task\'s lifecycle through GET /api/tasks/:taskId', async () => {
    expect((await getTask()).status).toBe(404);
    await planner.client.send(taskMessage('task_assigned', { description: 'write the parser', assignedAgents: [coder.agentId] }));
    expect((await taskReaches('assigned')).task).toMatchObject({ description: 'write the parser', assignedAgents: [coder.agentId] });
    await coder.client.send(taskMessage('task_started', {}));
    expect((await taskReaches('started')).task).toMatchObject({ claimedBy: coder.agentId });
    await coder.client.send(taskMessage('task_progress', { percentComplete: 40 }));
    expect((await taskReaches('in_progress')).task.percentComplete).toBe(40);
    await coder.client.send(taskMessage('task_completed', { githubPrUrl: 'https://github.com/acme/relay/pull/7' }));
    const done = await taskReaches('completed');
    expect(done.task).toMatchObject({ githubPrUrl: 'https://github.com/acme/relay/pull/7', percentComplete: 100, claimedBy: coder.agentId });
    expect(done.task.completedAt).not.toBeNull();
    expect(done.messages.map((m) => m.messageType)).toEqual(['task_assigned', 'task_started', 'task_progress', 'task_completed']);
    expect(done.messagesTruncated).toBe(false);

    // The same answer over WebSocket, and the task listed among the completed ones only.
    expect(await planner.client.query('task', { taskId, messagesLimit: 10 })).toEqual(done);
    expect((await planner.client.query('tasks', { status: ['completed'] })).tasks.map((t) => t.taskId)).toEqual([taskId]);
    expect((await planner.client.query('tasks', { status: ['assigned', 'started'] })).tasks).toEqual([]);
  });

  it('stores every message sent through the gateway exactly once, client retries included', async () => {
    const messages = Array.from({ length: 20 }, (_, i) => statusQuery({ id: randomUUID(), payload: { question: `q${i}` } }));
    const acks = await Promise.all(messages.map((m) => planner.client.send(m)));
    // A client that lost its acks sends the same ids again: acked as duplicates of the first copies.
    const retries = await Promise.all(messages.slice(0, 5).map((m) => planner.client.send(m)));
    expect(retries.map((a) => [a.duplicate, a.seq])).toEqual(acks.slice(0, 5).map((a) => [true, a.seq]));
    const ids = messages.map((m) => m.id!);
    await waitFor(async () => (await storedCount(world, ids)) === 20, { description: '20 rows' });
    const rows = await world.rows<{ id: string; stream_seq: string }>('SELECT id, stream_seq FROM messages WHERE id = ANY($1::uuid[])', [ids]);
    const seqById = new Map(acks.map((a) => [a.id, a.seq]));
    expect(rows.map((r) => Number(r.stream_seq) === seqById.get(r.id))).toEqual(rows.map(() => true));
    const history = await planner.client.history({ limit: 100, messageType: ['status_query'], senderId: planner.agentId });
    expect(history.messages.map((m) => m.id).sort()).toEqual([...ids].sort());
  });

  it('keeps acking while the service is down, queries say unavailable, and a replay from the start duplicates nothing', async () => {
    await service.stop();
    expect(await relayErrorOf(planner.client.history())).toMatchObject({ code: 'unavailable', retryable: true });

    // Sent while nobody persists: the stream holds them.
    const offline = Array.from({ length: 10 }, () => statusQuery({ id: randomUUID() }));
    await Promise.all(offline.map((m) => coder.client.send(m)));

    // Force a redelivery of everything: a fresh durable consumer replays the stream from its start.
    await world.bus.jsm.consumers.delete(world.bus.stream, service.config.consumerName);
    const before = Number((await world.rows<{ n: string }>('SELECT count(*) AS n FROM messages'))[0]!.n);
    service = await world.persistence.start();
    const offlineIds = offline.map((m) => m.id!);
    await waitFor(async () => (await storedCount(world, offlineIds)) === 10, { description: 'offline messages stored' });
    await waitFor(
      async () => {
        const info = await world.bus.jsm.consumers.info(world.bus.stream, service.config.consumerName);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { description: 'replay done' },
    );
    const after = Number((await world.rows<{ n: string }>('SELECT count(*) AS n FROM messages'))[0]!.n);
    expect(after).toBe(before + 10);
    expect((await service.metrics.duplicates.get()).values[0]?.value).toBeGreaterThanOrEqual(before);
    // Replayed task events leave the task where it was.
    expect((await planner.client.query('task', { taskId })).task.status).toBe('completed');
  });

  it('lists the channel\'s agents with their status', async () => {
    const listed = async () => (await planner.client.query('agents', {})).agents;
    expect((await listed()).map((a) => [a.agentId, a.status]).sort()).toEqual(
      [[planner.agentId, 'connected'], [coder.agentId, 'connected']].sort(),
    );
    await coder.client.close();
    await waitFor(async () => (await listed()).find((a) => a.agentId === coder.agentId)?.status === 'disconnected', {
      description: 'coder disconnected',
    });
  });
});
