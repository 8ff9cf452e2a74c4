/**
 * Gateway + persistence service in one test file: a migrated scratch database, one stream and
 * subject prefix shared by both, the persistence service in-process, and SQL to check what it wrote.
 */
import pg from 'pg';
import { createPersistenceTestEnv, type PersistenceTestEnv } from '@coorchat/persistence-service/testing';
import type { TestBus } from './gateway-harness.js';

export interface PersistedWorld {
  /** For startGateway: the persistence env's stream and prefix. */
  bus: TestBus;
  persistence: PersistenceTestEnv;
  /** Rows of one SQL query on the scratch database. */
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the services, deletes the streams, drops the database. */
  close(): Promise<void>;
}

export async function createPersistedWorld(name: string): Promise<PersistedWorld> {
  const persistence = await createPersistenceTestEnv(name);
  const sql = new pg.Pool({ connectionString: persistence.db.url, max: 2 });
  const jsm = await persistence.nc.jetstreamManager();
  const bus: TestBus = {
    natsUrl: persistence.natsUrl,
    stream: persistence.stream,
    prefix: persistence.prefix,
    nc: persistence.nc,
    jsm,
    async streamMessages() {
      return (await jsm.streams.info(persistence.stream)).state.messages;
    },
    close: () => persistence.cleanup(),
  };
  return {
    bus,
    persistence,
    async rows<T>(text: string, params: unknown[] = []) {
      return (await sql.query(text, params)).rows as T[];
    },
    async close() {
      await sql.end();
      await persistence.cleanup();
    },
  };
}

/** Number of stored rows in `messages` with these ids. */
export async function storedCount(world: PersistedWorld, ids: readonly string[]): Promise<number> {
  const [row] = await world.rows<{ n: string }>('SELECT count(*) AS n FROM messages WHERE id = ANY($1::uuid[])', [ids]);
  return Number(row?.n ?? 0);
}
