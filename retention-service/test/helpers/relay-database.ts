import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@coorchat/shared/testing';
import { migrateUp } from '@coorchat/persistence-service/migrator';
import { RETENTION_LOCK_KEY } from '../../src/lock/advisory-lock.js';

export interface RelayDatabase extends ScratchDatabase {
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * A scratch database migrated by the persistence service's migrations (the schema's one owner),
 * and a small pool on it for seeding and assertions.
 */
export async function createRelayDatabase(prefix = 'retention'): Promise<RelayDatabase> {
  const db = await createScratchDatabase(prefix);
  await migrateUp(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  return {
    ...db,
    pool,
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}

/** Sessions holding the retention advisory lock in this database. */
export async function retentionLockHolders(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [RETENTION_LOCK_KEY],
  );
  return rows[0]!.n;
}
