import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cutoffFor } from '../../src/purge/purge-planner.js';
import { RetentionRunsRepository } from '../../src/runs/retention-runs.repository.js';
import { createRelayDatabase, type RelayDatabase } from '../helpers/relay-database.js';
import { asFinished, createRunner } from '../helpers/runner.js';
import {
  countRows,
  createChannel,
  expectedPerDay,
  insertMessageAt,
  messagesPerDay,
  SEED_DAYS,
  seedMessages,
  seedSessions,
  seedTasks,
  sessionCounts,
  truncateAll,
} from '../helpers/seed.js';

const PER_DAY = 20;
const SHORT_DAYS = 10; // channels.retention_days of "ops"; "general" uses the default (30)
const DEFAULT_DAYS = 30;
const now = new Date();

let db: RelayDatabase;
let ops: number;
let general: number;
let boundary: { keptAtCutoff: string; goneJustBefore: string };

beforeAll(async () => {
  db = await createRelayDatabase();
});
afterAll(async () => {
  await db?.close();
});

beforeEach(async () => {
  await truncateAll(db.pool);
  ops = await createChannel(db.pool, 'ops', SHORT_DAYS);
  general = await createChannel(db.pool, 'general', null);
  for (const channelId of [ops, general]) {
    await seedMessages(db.pool, { channelId, now, perDay: PER_DAY });
    await seedSessions(db.pool, { channelId, now });
    await seedTasks(db.pool, { channelId, now });
  }
  const cutoff = cutoffFor(now, DEFAULT_DAYS);
  boundary = {
    keptAtCutoff: await insertMessageAt(db.pool, general, cutoff),
    goneJustBefore: await insertMessageAt(db.pool, general, new Date(cutoff.getTime() - 1)),
  };
});

const expiredMessages = (days: number) => (SEED_DAYS - days) * PER_DAY;
const expiredSessions = (days: number) => SEED_DAYS - days;

describe('retention purge', () => {
  it('deletes exactly the expired messages and closed sessions of each channel, per its own retention', async () => {
    const report = asFinished(await createRunner(db).run({ dryRun: false, trigger: 'test', now }));

    expect(report.status).toBe('succeeded');
    expect(await messagesPerDay(db.pool, ops, now)).toEqual(expectedPerDay(PER_DAY, SHORT_DAYS));
    // general also holds the two boundary rows on day 30: the one at the cutoff stays.
    const generalDays = expectedPerDay(PER_DAY, DEFAULT_DAYS);
    generalDays[DEFAULT_DAYS] = 1;
    expect(await messagesPerDay(db.pool, general, now)).toEqual(generalDays);
    expect(await countRows(db.pool, 'messages', 'id = $1', [boundary.keptAtCutoff])).toBe(1);
    expect(await countRows(db.pool, 'messages', 'id = $1', [boundary.goneJustBefore])).toBe(0);

    const range = (n: number) => Array.from({ length: n }, (_, d) => d);
    expect(await sessionCounts(db.pool, ops, now)).toEqual({ closedDays: range(SHORT_DAYS), open: SEED_DAYS });
    expect(await sessionCounts(db.pool, general, now)).toEqual({ closedDays: range(DEFAULT_DAYS), open: SEED_DAYS });
    expect(await countRows(db.pool, 'tasks')).toBe(2 * 3 * SEED_DAYS);

    const messages = expiredMessages(SHORT_DAYS) + expiredMessages(DEFAULT_DAYS) + 1;
    const sessions = expiredSessions(SHORT_DAYS) + expiredSessions(DEFAULT_DAYS);
    expect(report.rowsDeleted).toEqual({ messages, agent_sessions: sessions });
    expect(report.targets.find((t) => t.table === 'messages' && t.channel === 'ops')).toMatchObject({
      retentionDays: SHORT_DAYS,
      rows: expiredMessages(SHORT_DAYS),
    });

    const run = await new RetentionRunsRepository(db.pool).get(report.runId!);
    expect(run).toMatchObject({
      outcome: 'succeeded',
      dryRun: false,
      runner: 'test-runner',
      rowsDeleted: { messages, agent_sessions: sessions },
      error: null,
    });
    expect(run?.cutoffDefault).toEqual(cutoffFor(now, DEFAULT_DAYS));
    expect(run?.finishedAt).toBeInstanceOf(Date);

    const again = asFinished(await createRunner(db).run({ dryRun: false, trigger: 'test', now }));
    expect(again.rowsDeleted).toEqual({ messages: 0, agent_sessions: 0 });
  });

  it('gives the same result in batches much smaller than the work', async () => {
    const batches: number[] = [];
    const runner = createRunner(db, { batchSize: 7 }, {
      observer: { recordBatch: (table, rows) => table === 'messages' && batches.push(rows), recordRun: () => undefined },
    });
    const report = asFinished(await runner.run({ dryRun: false, trigger: 'test', now }));

    expect(report.status).toBe('succeeded');
    expect(await messagesPerDay(db.pool, ops, now)).toEqual(expectedPerDay(PER_DAY, SHORT_DAYS));
    expect(batches.every((n) => n <= 7)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(expiredMessages(SHORT_DAYS) + expiredMessages(DEFAULT_DAYS) + 1);
  });

  it('dry run counts what would go per channel and table and deletes nothing', async () => {
    const before = await countRows(db.pool, 'messages');
    const report = asFinished(await createRunner(db).run({ dryRun: true, trigger: 'test', now }));

    expect(report.status).toBe('succeeded');
    expect(await countRows(db.pool, 'messages')).toBe(before);
    expect(await countRows(db.pool, 'agent_sessions')).toBe(4 * SEED_DAYS);
    const counts = Object.fromEntries(report.targets.map((t) => [`${t.table}/${t.channel}`, t.rows]));
    expect(counts).toEqual({
      'messages/general': expiredMessages(DEFAULT_DAYS) + 1,
      'messages/ops': expiredMessages(SHORT_DAYS),
      'agent_sessions/general': expiredSessions(DEFAULT_DAYS),
      'agent_sessions/ops': expiredSessions(SHORT_DAYS),
    });
    const run = await new RetentionRunsRepository(db.pool).get(report.runId!);
    expect(run).toMatchObject({ outcome: 'succeeded', dryRun: true });
    // A dry run is no successful purge: the catch-up check ignores it.
    expect(await new RetentionRunsRepository(db.pool).lastSuccess()).toBeUndefined();
  });

  it('purges finished tasks older than the cutoff only when configured, never open ones', async () => {
    const report = asFinished(await createRunner(db, { purgeTasks: true }).run({ dryRun: false, trigger: 'test', now }));

    expect(report.rowsDeleted.tasks).toBe(2 * expiredSessions(SHORT_DAYS) + 2 * expiredSessions(DEFAULT_DAYS));
    expect(await countRows(db.pool, 'tasks', `status = 'in_progress'`)).toBe(2 * SEED_DAYS);
    const oldestFinished = await db.pool.query<{ channel_id: number; oldest: Date }>(
      `SELECT channel_id, min(completed_at) AS oldest FROM tasks WHERE status IN ('completed', 'failed') GROUP BY channel_id`,
    );
    for (const row of oldestFinished.rows) {
      const days = row.channel_id === ops ? SHORT_DAYS : DEFAULT_DAYS;
      expect(row.oldest.getTime()).toBeGreaterThanOrEqual(cutoffFor(now, days).getTime());
    }
  });
});
