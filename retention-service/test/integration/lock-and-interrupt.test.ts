import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@coorchat/shared/testing';
import { releaseAdvisoryLock, tryAdvisoryLock } from '../../src/lock/advisory-lock.js';
import { RetentionRunsRepository } from '../../src/runs/retention-runs.repository.js';
import { createRelayDatabase, retentionLockHolders, type RelayDatabase } from '../helpers/relay-database.js';
import { asFinished, createRunner } from '../helpers/runner.js';
import { countRows, createChannel, expectedPerDay, messagesPerDay, SEED_DAYS, seedMessages, truncateAll } from '../helpers/seed.js';

const PER_DAY = 10;
const RETENTION_DAYS = 30;
const EXPIRED = (SEED_DAYS - RETENTION_DAYS) * PER_DAY;
const now = new Date();

let db: RelayDatabase;
let channelId: number;

beforeAll(async () => {
  db = await createRelayDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await truncateAll(db.pool);
  channelId = await createChannel(db.pool, 'general', null);
  await seedMessages(db.pool, { channelId, now, perDay: PER_DAY });
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return client;
}

const lockHolders = () => retentionLockHolders(db.pool);

describe('one runner across replicas', () => {
  it('skips, without recording a run, while another session holds the lock', async () => {
    const other = await connect();
    try {
      expect(await tryAdvisoryLock(other)).toBe(true);
      expect(await lockHolders()).toBe(1);
      const report = await createRunner(db).run({ dryRun: false, trigger: 'test', now });
      expect(report).toMatchObject({ status: 'skipped', reason: 'another runner holds the retention lock' });
      expect(await countRows(db.pool, 'messages')).toBe(SEED_DAYS * PER_DAY);
      expect(await countRows(db.pool, 'retention_runs')).toBe(0);
      expect(await releaseAdvisoryLock(other)).toBe(true);
    } finally {
      await other.end();
    }
    const after = asFinished(await createRunner(db).run({ dryRun: false, trigger: 'test', now }));
    expect(after.rowsDeleted.messages).toBe(EXPIRED);
  });

  it('lets exactly one of two concurrent runners purge; the other skips', async () => {
    const abort = new AbortController();
    // Small batches with a pause keep runner A inside its run while B tries.
    const a = createRunner(db, { batchSize: 5, batchPauseMs: 20 }, { runnerName: 'replica-a' });
    const b = createRunner(db, {}, { runnerName: 'replica-b' });
    const running = a.run({ dryRun: false, trigger: 'test', now, signal: abort.signal });
    await waitFor(async () => (await countRows(db.pool, 'retention_runs', `outcome = 'running'`)) === 1, {
      description: 'replica A recording its run',
    });

    const second = await b.run({ dryRun: false, trigger: 'test', now });
    abort.abort();
    const first = asFinished(await running);

    expect(second.status).toBe('skipped');
    expect(first.status).toBe('interrupted');
    const runners = await db.pool.query<{ runner: string }>('SELECT runner FROM retention_runs');
    expect(runners.rows.map((r) => r.runner)).toEqual(['replica-a']);
    expect(await lockHolders()).toBe(0);
  });
});

describe('interrupted run', () => {
  it('stops after the batch in flight, leaves only whole batches of expired rows deleted, and the next run completes it', async () => {
    const abort = new AbortController();
    const batch = 25;
    const runner = createRunner(db, { batchSize: batch }, {
      observer: { recordBatch: () => abort.abort(), recordRun: () => undefined },
    });
    const report = asFinished(await runner.run({ dryRun: false, trigger: 'test', now, signal: abort.signal }));

    expect(report.status).toBe('interrupted');
    expect(report.rowsDeleted.messages).toBe(batch);
    expect(await countRows(db.pool, 'messages')).toBe(SEED_DAYS * PER_DAY - batch);
    // The oldest rows went first and nothing unexpired was touched.
    const perDay = await messagesPerDay(db.pool, channelId, now);
    expect(perDay.slice(0, RETENTION_DAYS)).toEqual(expectedPerDay(PER_DAY, RETENTION_DAYS).slice(0, RETENTION_DAYS));
    expect(perDay.slice(SEED_DAYS - 4)).toEqual([PER_DAY, 5, 0, 0]);
    const recorded = await new RetentionRunsRepository(db.pool).get(report.runId!);
    expect(recorded).toMatchObject({ outcome: 'interrupted', rowsDeleted: { messages: batch } });
    expect(await lockHolders()).toBe(0);

    const next = asFinished(await createRunner(db).run({ dryRun: false, trigger: 'test', now }));
    expect(next.status).toBe('succeeded');
    expect(next.rowsDeleted.messages).toBe(EXPIRED - batch);
    expect(await messagesPerDay(db.pool, channelId, now)).toEqual(expectedPerDay(PER_DAY, RETENTION_DAYS));
  });

  it('marks a run left "running" by a dead runner as interrupted when the next runner takes the lock', async () => {
    const runs = new RetentionRunsRepository(db.pool);
    const stale = await runs.start({ startedAt: new Date(Date.now() - 3_600_000), dryRun: false, runner: 'dead', cutoffDefault: now });
    const report = asFinished(await createRunner(db).run({ dryRun: false, trigger: 'test', now }));

    expect(report.status).toBe('succeeded');
    expect(await runs.get(stale)).toMatchObject({ outcome: 'interrupted', error: expect.stringContaining('abandoned') });
  });
});
