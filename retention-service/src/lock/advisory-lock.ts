import type pg from 'pg';

/**
 * The advisory lock key every retention runner contends for (a constant bigint, spelled
 * "CoorRet" in ASCII). Session-scoped: it is held by one dedicated connection and released
 * when that connection ends, so a crashed runner never keeps it.
 */
export const RETENTION_LOCK_KEY = '18981347889669492';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Takes the lock without waiting; false when another session holds it. */
export async function tryAdvisoryLock(client: Queryable, key: string = RETENTION_LOCK_KEY): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
  return rows[0]?.locked === true;
}

/** Releases the lock this session holds; false when it held none. */
export async function releaseAdvisoryLock(client: Queryable, key: string = RETENTION_LOCK_KEY): Promise<boolean> {
  const { rows } = await client.query<{ unlocked: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS unlocked', [key]);
  return rows[0]?.unlocked === true;
}
