import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * Runs a parameterised statement on the fork's transaction (or the pool outside one) and returns
 * its rows. Set-based writes pass their rows as one JSON parameter (`json_to_recordset(?::json)`):
 * one round trip per statement, no bind-parameter limit, no client-side inlining of values.
 */
export async function queryRows<T>(em: EntityManager, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const runner = em.getTransactionContext<Knex.Transaction>() ?? em.getKnex();
  const result = (await runner.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
  return result.rows;
}

/** Rows as the single JSON parameter of a `json_to_recordset(?::json)` statement. */
export function asJson(rows: readonly unknown[]): string {
  return JSON.stringify(rows);
}
