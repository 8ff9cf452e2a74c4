import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@coorchat/shared/testing';
import { createRelayDatabase, retentionLockHolders, type RelayDatabase } from '../helpers/relay-database.js';
import { runTs, startTs } from '../helpers/child-process.js';
import { countRows, createChannel, SEED_DAYS, seedMessages } from '../helpers/seed.js';
import { DORMANT_CRON } from '../helpers/service-config.js';

const MAIN = 'retention-service/src/main.ts';
const PER_DAY = 20;
const EXPIRED = (SEED_DAYS - 30) * PER_DAY;

let db: RelayDatabase;

beforeAll(async () => {
  db = await createRelayDatabase();
  await seedMessages(db.pool, { channelId: await createChannel(db.pool, 'general', null), now: new Date(), perDay: PER_DAY });
});
afterAll(async () => {
  await db?.close();
});

describe('retention service process', () => {
  it('documents itself with --help', async () => {
    const { code, stdout } = await runTs(MAIN, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('RETENTION_CRON');
  });

  it('on SIGTERM mid-run finishes the batch, records the run as interrupted, releases the lock and exits 0', async () => {
    const child = startTs(MAIN, [], {
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      RETENTION_CRON: DORMANT_CRON,
      // Tiny batches with a pause: the catch-up run (no run ever succeeded) is still going when the signal comes.
      RETENTION_BATCH_SIZE: '5',
      RETENTION_BATCH_PAUSE_MS: '50',
    });
    try {
      await waitFor(async () => (await countRows(db.pool, 'messages')) < SEED_DAYS * PER_DAY, {
        timeoutMs: 15_000,
        description: 'the catch-up run deleting its first batch',
      });
      expect(await countRows(db.pool, 'retention_runs', `outcome = 'running'`)).toBe(1);
      child.kill('SIGTERM');
      const { code, stderr } = await child.result;

      expect(code, stderr).toBe(0);
      const { rows } = await db.pool.query<{ outcome: string; messages: number; finished: boolean }>(
        `SELECT outcome, (rows_deleted->>'messages')::int AS messages, finished_at IS NOT NULL AS finished FROM retention_runs`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ outcome: 'interrupted', finished: true });
      const deleted = SEED_DAYS * PER_DAY - (await countRows(db.pool, 'messages'));
      expect(deleted).toBe(rows[0]!.messages);
      expect(deleted % 5).toBe(0);
      expect(deleted).toBeLessThan(EXPIRED);
      expect(await retentionLockHolders(db.pool)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
