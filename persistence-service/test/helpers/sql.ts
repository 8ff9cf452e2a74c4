import pg from 'pg';
import type { Counter } from 'prom-client';

export type SqlClient = pg.Client & { rows<T>(sql: string, params?: unknown[]): Promise<T[]> };

/** A plain pg client on the test database, for assertions on what the service wrote. */
export async function sqlClient(url: string): Promise<SqlClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return Object.assign(client, {
    async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await client.query(sql, params)).rows as T[];
    },
  });
}

/** Sum of a counter over all its label sets. */
export async function counterValue(counter: Counter<string>): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}
