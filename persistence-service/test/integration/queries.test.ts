import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateQueryReply, type QueryName, type QueryReply, type StoredMessage } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import {
  createPersistenceTestEnv,
  messageEvent,
  presenceEvent,
  publishEvents,
  type PersistenceTestEnv,
} from '../../src/testing/index.js';
import type { RunningPersistence } from '../../src/persistence-service.js';
import { sqlClient } from '../helpers/sql.js';

let env: PersistenceTestEnv;
let service: RunningPersistence;

const taskId = randomUUID();
const [alice, bob] = [randomUUID(), randomUUID()];
const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

// north: 25 messages, five of them sharing one timestamp (keyset ties are broken by id).
const north = Array.from({ length: 25 }, (_, i) =>
  messageEvent('north', {
    senderId: i % 2 ? alice : bob,
    timestamp: at(i >= 10 && i < 15 ? 10 : i),
    messageType: i % 5 === 0 ? 'task_progress' : 'status_response',
    taskId: i % 5 === 0 ? taskId : null,
    payload: i % 5 === 0 ? { taskId, percentComplete: i } : { i },
  }),
);
// south: the same sender, task id and agent id, which must never show up in north's answers.
const south = Array.from({ length: 5 }, (_, i) =>
  messageEvent('south', { senderId: alice, timestamp: at(i), taskId, messageType: 'task_progress', payload: { taskId, percentComplete: i } }),
);
const southTask = randomUUID();

beforeAll(async () => {
  env = await createPersistenceTestEnv('queries');
  service = await env.start();
  await publishEvents(env.js, env.subjects, [
    presenceEvent('north', alice, { role: 'developer' }),
    presenceEvent('north', bob, { role: 'reviewer' }),
    presenceEvent('south', alice, { role: 'spy' }),
    messageEvent('north', { messageType: 'task_assigned', senderId: bob, timestamp: at(-1), payload: { taskId, description: 'north task', assignedAgents: [alice] } }),
    messageEvent('south', { messageType: 'task_assigned', senderId: bob, payload: { taskId: southTask, description: 'south task' } }),
    ...north,
    ...south,
  ]);
  const sql = await sqlClient(env.db.url);
  await waitFor(async () => Number((await sql.rows<{ n: string }>('SELECT count(*) AS n FROM messages'))[0]!.n) === 32, {
    description: 'seed stored',
  });
  await sql.end();
});

afterAll(async () => {
  await env?.cleanup();
});

async function ask<N extends QueryName>(name: N, request: unknown): Promise<QueryReply<N>> {
  const msg = await env.nc.request(env.subjects.query(name), typeof request === 'string' ? request : JSON.stringify(request), {
    timeout: 5_000,
  });
  const reply = validateQueryReply(name, JSON.parse(msg.string()));
  if (!reply.ok) throw new Error(`reply does not match its schema: ${reply.message}`);
  return reply.value;
}

async function data<N extends QueryName>(name: N, request: unknown) {
  const reply = await ask(name, request);
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.data;
}

async function allPages(request: Record<string, unknown>): Promise<StoredMessage[][]> {
  const pages: StoredMessage[][] = [];
  let cursor: string | null | undefined;
  do {
    const page = await data('history', { ...request, ...(cursor ? { cursor } : {}) });
    pages.push(page.messages);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 10);
  return pages;
}

describe('cold queries', () => {
  it('page through a channel history newest first, each message once, none from another channel', async () => {
    const pages = await allPages({ channel: 'north', limit: 10, messageType: ['status_response', 'task_progress'] });
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    const messages = pages.flat();
    expect(new Set(messages.map((m) => m.id)).size).toBe(25);
    expect(messages.every((m) => m.channel === 'north')).toBe(true);
    const keys = messages.map((m) => `${m.timestamp}|${m.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(messages[0]).toMatchObject({ ...north[24]!.message, streamSeq: expect.any(Number), recipientRole: null });

    const ascending = await allPages({ channel: 'north', limit: 7, order: 'asc' });
    expect(ascending.map((p) => p.length)).toEqual([7, 7, 7, 5]);
    expect(ascending.flat()[0]!.messageType).toBe('task_assigned');
    expect(ascending.flat().slice(1).map((m) => `${m.timestamp}|${m.id}`)).toEqual([...keys].reverse());
  });

  it('filter history by task, sender, type and time window', async () => {
    // task_* messages count for their payload's task even without an envelope taskId (the task_assigned).
    const byTask = await data('history', { channel: 'north', taskId });
    expect(byTask.messages).toHaveLength(6);
    expect(byTask.messages.map((m) => m.id)).toEqual(
      expect.arrayContaining(north.filter((e) => e.message.taskId === taskId).map((e) => e.message.id)),
    );
    expect(byTask.messages.every((m) => m.channel === 'north' && m.taskId === taskId)).toBe(true);
    const bySender = await data('history', { channel: 'north', senderId: alice, limit: 500 });
    expect(bySender.messages).toHaveLength(12);
    expect(bySender.messages.every((m) => m.senderId === alice)).toBe(true);
    const window = await data('history', { channel: 'north', since: at(10), until: at(16), messageType: ['status_response', 'task_progress'] });
    expect(window.messages).toHaveLength(6);
    expect(await data('history', { channel: 'nowhere' })).toEqual({ messages: [], nextCursor: null });
  });

  it('list the agents of a channel with their last activity, and tasks by status', async () => {
    const agents = await data('agents', { channel: 'north' });
    expect(agents.agents.map((a) => [a.agentId, a.role, a.status]).sort()).toEqual(
      [[alice, 'developer', 'connected'], [bob, 'reviewer', 'connected']].sort(),
    );
    expect(agents.agents.every((a) => Date.parse(a.lastSeenAt) > 0)).toBe(true);
    const firstPage = await data('agents', { channel: 'north', limit: 1 });
    const second = await data('agents', { channel: 'north', limit: 1, cursor: firstPage.nextCursor });
    expect([...firstPage.agents, ...second.agents].map((a) => a.agentId).sort()).toEqual([alice, bob].sort());
    expect(second.nextCursor).toBeNull();

    const tasks = await data('tasks', { channel: 'north', status: ['in_progress'] });
    expect(tasks.tasks.map((t) => t.taskId)).toEqual([taskId]);
    expect(tasks.tasks[0]).toMatchObject({ description: 'north task', assignedAgents: [alice], percentComplete: 20 });
    expect((await data('tasks', { channel: 'north', status: ['completed'] })).tasks).toEqual([]);
  });

  it('return one task with its messages, and not_found for a task of another channel', async () => {
    const one = await data('task', { channel: 'north', taskId, messagesLimit: 3 });
    expect(one.task.taskId).toBe(taskId);
    expect(one.messages).toHaveLength(3);
    expect(one.messagesTruncated).toBe(true);
    expect(one.messages.every((m) => m.channel === 'north' && m.taskId === taskId)).toBe(true);

    expect(await ask('task', { channel: 'north', taskId: southTask })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('refuse malformed requests with stable error codes', async () => {
    expect(await ask('history', 'not json')).toMatchObject({ ok: false, error: { code: 'invalid_json' } });
    expect(await ask('history', { channel: 'north', limit: 501 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_message', field: '/limit' },
    });
    expect(await ask('agents', { role: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_message', field: '/channel' } });
    expect(await ask('history', { channel: 'north', cursor: 'bm9wZQ' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_message', field: '/cursor' },
    });
  });

  it('serve health, readiness and metrics over HTTP', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { nats: true, postgres: true, consumer: true } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^persistence_messages_inserted_total 32$/m);
    expect(metrics).toMatch(/^persistence_consumer_lag 0$/m);
    expect(metrics).toMatch(/^persistence_queries_total\{query="history",outcome="ok"\} \d+$/m);
    expect(metrics).toMatch(/^persistence_commit_duration_seconds_count \d+$/m);
  });
});
