import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_SYSTEM_SENDER_ID, type MessageEvent } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import {
  createPersistenceTestEnv,
  messageEvent,
  presenceEvent,
  publishEvents,
  type PersistenceTestEnv,
} from '../../src/testing/index.js';
import type { RunningPersistence } from '../../src/persistence-service.js';
import { counterValue, sqlClient, type SqlClient } from '../helpers/sql.js';

let env: PersistenceTestEnv;
let service: RunningPersistence;
let sql: SqlClient;

beforeAll(async () => {
  env = await createPersistenceTestEnv('consumer');
  service = await env.start();
  sql = await sqlClient(env.db.url);
});

afterAll(async () => {
  await sql?.end();
  await env?.cleanup();
});

async function count(where: string, params: unknown[] = []): Promise<number> {
  const [row] = await sql.rows<{ n: string }>(`SELECT count(*) AS n FROM messages m JOIN channels c ON c.id = m.channel_id WHERE ${where}`, params);
  return Number(row!.n);
}

const taskMessage = (channel: string, type: MessageEvent['message']['messageType'], taskId: string, senderId: string, payload: Record<string, unknown> = {}) =>
  messageEvent(channel, { messageType: type, taskId, senderId, payload: { taskId, ...payload } });

async function task(channel: string, taskId: string) {
  const [row] = await sql.rows<Record<string, unknown>>(
    'SELECT t.* FROM tasks t JOIN channels c ON c.id = t.channel_id WHERE c.name = $1 AND t.task_id = $2',
    [channel, taskId],
  );
  return row;
}

describe('event consumer', () => {
  it('stores each message exactly once, through republished copies and a full replay of the stream', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      messageEvent('alpha', { payload: { n: i, text: 'x'.repeat(200) } }, i % 3 === 0 ? 'reviewer' : null),
    );
    const acks = await publishEvents(env.js, env.subjects, events);
    await waitFor(async () => (await count(`c.name = 'alpha'`)) === 300, { description: '300 rows' });

    const [row] = await sql.rows<Record<string, unknown>>(
      `SELECT m.*, m.timestamp = $2::timestamptz AS same_time FROM messages m WHERE m.id = $1`,
      [events[0]!.message.id, events[0]!.message.timestamp],
    );
    expect(row).toMatchObject({
      stream_seq: String(acks[0]!.seq),
      sender_id: events[0]!.message.senderId,
      message_type: 'status_query',
      recipient_role: 'reviewer',
      payload: { n: 0, text: 'x'.repeat(200) },
      same_time: true,
    });

    // The same ids again under new stream sequences (no msgID, so JetStream keeps them).
    for (const e of events.slice(0, 50)) await env.js.publish(env.subjects.message('alpha'), JSON.stringify(e));
    await waitFor(async () => (await counterValue(service.metrics.duplicates)) >= 50, { description: '50 duplicates' });

    // Every ack lost: a new durable consumer redelivers the whole stream to a restarted service.
    await service.stop();
    const jsm = await env.nc.jetstreamManager();
    await jsm.consumers.delete(env.stream, service.config.consumerName);
    service = await env.start();
    await waitFor(async () => (await counterValue(service.metrics.duplicates)) >= 350, { description: 'replay', timeoutMs: 15_000 });
    expect(await count(`c.name = 'alpha'`)).toBe(300);
    const [first] = await sql.rows<{ stream_seq: string }>('SELECT stream_seq FROM messages WHERE id = $1', [events[0]!.message.id]);
    expect(first!.stream_seq).toBe(String(acks[0]!.seq));
  });

  it('folds a task lifecycle into task state and never moves it backwards', async () => {
    const channel = 'lifecycle';
    const [lead, worker] = [randomUUID(), randomUUID()];
    const taskId = randomUUID();
    const lifecycle = [
      taskMessage(channel, 'task_assigned', taskId, lead, { description: 'build it', assignedAgents: [worker], dependencies: [] }),
      taskMessage(channel, 'task_started', taskId, worker),
      taskMessage(channel, 'task_progress', taskId, worker, { percentComplete: 40 }),
      taskMessage(channel, 'task_blocked', taskId, worker, { reason: 'waiting' }),
      taskMessage(channel, 'task_progress', taskId, worker, { percentComplete: 80 }),
      // Ids in upper case are the same ids.
      taskMessage(channel, 'task_completed', taskId.toUpperCase(), worker.toUpperCase(), { githubPrUrl: 'https://github.com/o/r/pull/1' }),
    ];
    const acks = await publishEvents(env.js, env.subjects, [presenceEvent(channel, worker), ...lifecycle]);
    await waitFor(async () => (await task(channel, taskId))?.status === 'completed', { description: 'completed' });
    expect(await task(channel, taskId)).toMatchObject({
      description: 'build it',
      assigned_agents: [worker],
      claimed_by: worker,
      percent_complete: 100,
      github_pr_url: 'https://github.com/o/r/pull/1',
      last_seq: String(acks.at(-1)!.seq),
    });

    // Stale: replayed copies of earlier messages and new late progress do not reopen it.
    for (const e of lifecycle.slice(1, 3)) await env.js.publish(env.subjects.message(channel), JSON.stringify(e));
    const late = taskMessage(channel, 'task_progress', taskId, worker, { percentComplete: 10 });
    await publishEvents(env.js, env.subjects, [late]);
    await waitFor(async () => (await count('m.id = $1', [late.message.id])) === 1, { description: 'late progress stored' });
    expect(await task(channel, taskId)).toMatchObject({ status: 'completed', percent_complete: 100, last_seq: String(acks.at(-1)!.seq) });

    // Out of order: the end arriving before the start still ends completed; the claim is recorded.
    const other = randomUUID();
    await publishEvents(env.js, env.subjects, [
      taskMessage(channel, 'task_completed', other, worker),
      taskMessage(channel, 'task_started', other, worker),
    ]);
    await waitFor(async () => (await task(channel, other))?.claimed_by === worker, { description: 'claim recorded' });
    expect((await task(channel, other))!.status).toBe('completed');
    const [agent] = await sql.rows<{ current_task_id: string | null }>('SELECT current_task_id FROM agents WHERE agent_id = $1', [worker]);
    expect(agent!.current_task_id).toBeNull();
  });

  it('lets the earliest claim win and tells the loser task_unavailable on the bus', async () => {
    const channel = 'claims';
    const [first, second] = [randomUUID(), randomUUID()];
    const taskId = randomUUID();
    const delivered: MessageEvent[] = [];
    const sub = env.nc.subscribe(env.subjects.message(channel), {
      callback: (_e, m) => delivered.push(JSON.parse(m.string()) as MessageEvent),
    });
    await publishEvents(env.js, env.subjects, [
      presenceEvent(channel, first),
      presenceEvent(channel, second),
      taskMessage(channel, 'task_assigned', taskId, randomUUID(), { description: 'open task' }),
      taskMessage(channel, 'task_started', taskId, first),
      taskMessage(channel, 'task_started', taskId, second),
    ]);
    const error = await waitFor(
      () => delivered.find((e) => e.message.messageType === 'error' && e.message.recipientId === second),
      { description: 'task_unavailable on the bus' },
    );
    sub.unsubscribe();
    expect(error.message).toMatchObject({
      senderId: RELAY_SYSTEM_SENDER_ID,
      taskId,
      payload: { code: 'task_unavailable', taskId, claimedBy: first },
    });
    expect(await task(channel, taskId)).toMatchObject({ status: 'started', claimed_by: first });
    // The error comes back through the stream and is stored like any message.
    await waitFor(async () => (await count('m.id = $1', [error.message.id])) === 1, { description: 'error stored' });
    const agents = await sql.rows<{ agent_id: string; current_task_id: string | null }>(
      'SELECT agent_id, current_task_id FROM agents WHERE agent_id = ANY($1::uuid[])',
      [[first, second]],
    );
    expect(Object.fromEntries(agents.map((a) => [a.agent_id, a.current_task_id]))).toEqual({ [first]: taskId, [second]: null });
    expect(await counterValue(service.metrics.claimConflicts)).toBeGreaterThanOrEqual(1);
  });

  it('writes presence through to agents and agent_sessions, whatever the order of joins and leaves', async () => {
    const channel = 'presence';
    const agentId = randomUUID();
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const older = presenceEvent(channel, agentId, { gatewayId: 'gw-1', role: 'tester', connectedAt: at(0), at: at(0) });
    const newer = presenceEvent(channel, agentId, { gatewayId: 'gw-2', role: 'developer', connectedAt: at(1), at: at(1) });
    // The replaced connection leaves after its successor joined: the agent stays connected, as the newer one.
    const leftOld = { ...older, event: 'agent_left' as const, at: at(2), reason: 'replaced' };
    await publishEvents(env.js, env.subjects, [older, newer, leftOld]);
    const agentRow = async () =>
      (await sql.rows<Record<string, unknown>>('SELECT * FROM agents WHERE agent_id = $1', [agentId]))[0];
    await waitFor(async () => (await sql.rows('SELECT 1 FROM agent_sessions WHERE agent_id = $1 AND disconnected_at IS NOT NULL', [agentId])).length === 1, {
      description: 'old session closed',
    });
    expect(await agentRow()).toMatchObject({ status: 'connected', role: 'developer', capabilities: ['typescript'] });
    expect((await agentRow())!.registered_at).toEqual(new Date(at(0)));

    // A leave received before its join (and the join replayed) ends in one closed session.
    const leftNew = { ...newer, event: 'agent_left' as const, at: at(3), reason: 'closed 1000' };
    await publishEvents(env.js, env.subjects, [leftNew]);
    await env.js.publish(env.subjects.presence(channel, agentId), JSON.stringify(newer));
    await waitFor(async () => (await agentRow())?.status === 'disconnected', { description: 'disconnected' });
    const sessions = await sql.rows<{ gateway_id: string; disconnect_reason: string }>(
      'SELECT gateway_id, disconnect_reason FROM agent_sessions WHERE agent_id = $1 ORDER BY gateway_id',
      [agentId],
    );
    expect(sessions).toEqual([
      { gateway_id: 'gw-1', disconnect_reason: 'replaced' },
      { gateway_id: 'gw-2', disconnect_reason: 'closed 1000' },
    ]);
  });

  it('moves events that can never be stored to the dead-letter stream and keeps going', async () => {
    const channel = 'dead';
    const records: { reason: string; streamSeq: number; data: string }[] = [];
    const sub = env.nc.subscribe(env.subjects.deadLetter(channel), {
      callback: (_e, m) => records.push(JSON.parse(m.string()) as (typeof records)[number]),
    });
    const subject = env.subjects.message(channel);
    const missingSender = messageEvent(channel) as { message: Partial<MessageEvent['message']> };
    delete missingSender.message.senderId;
    const nul = messageEvent(channel, { payload: { text: 'a\u0000b' } });
    const good = messageEvent(channel);
    await env.js.publish(subject, 'not json');
    await env.js.publish(subject, JSON.stringify(missingSender));
    await env.js.publish(subject, JSON.stringify(messageEvent('elsewhere')));
    await env.js.publish(subject, JSON.stringify(nul));
    await publishEvents(env.js, env.subjects, [good]);

    await waitFor(() => records.length === 4, { description: '4 dead letters' });
    sub.unsubscribe();
    expect(records.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^not JSON/),
      '/message/senderId is required',
      expect.stringMatching(/belongs on/),
      expect.stringMatching(/^rejected by the database/),
    ]);
    expect(records[0]!.data).toBe('not json');
    await waitFor(async () => (await count('m.id = $1', [good.message.id])) === 1, { description: 'good stored' });
    expect(await count(`c.name = 'dead'`)).toBe(1);
    // Dead-lettered events are terminated: nothing waits for an ack.
    const jsm = await env.nc.jetstreamManager();
    await waitFor(async () => (await jsm.consumers.info(env.stream, service.config.consumerName)).num_ack_pending === 0, {
      description: 'no pending acks',
    });
    const dlq = await jsm.streams.info(`${env.stream}_DLQ`);
    expect(dlq.state.messages).toBe(4);
  });

  it('shares the durable consumer between replicas and recreates it when it is deleted', async () => {
    const second = await env.start({ writeConcurrency: 2 });
    const before = await Promise.all([service, second].map((s) => counterValue(s.metrics.inserted)));
    const events = Array.from({ length: 3000 }, () => messageEvent('replicas'));
    await publishEvents(env.js, env.subjects, events);
    await waitFor(async () => (await count(`c.name = 'replicas'`)) === 3000, { description: '3000 rows', timeoutMs: 20_000 });
    const after = await Promise.all([service, second].map((s) => counterValue(s.metrics.inserted)));
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(after[0]! - before[0]! + after[1]! - before[1]!).toBe(3000);
    await second.stop();

    const jsm = await env.nc.jetstreamManager();
    await jsm.consumers.delete(env.stream, service.config.consumerName);
    const late = messageEvent('replicas');
    await publishEvents(env.js, env.subjects, [late]);
    await waitFor(async () => (await count('m.id = $1', [late.message.id])) === 1, { description: 'stored after recreation', timeoutMs: 15_000 });
  });
});
