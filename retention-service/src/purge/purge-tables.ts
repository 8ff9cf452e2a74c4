/** The tables the retention service purges, and how a row of each is judged expired. */
export type PurgeTableName = 'messages' | 'agent_sessions' | 'tasks';

export interface PurgeTableSpec {
  table: PurgeTableName;
  /** Compared with the channel's cutoff; rows where it is null never expire. */
  timeColumn: string;
  /** An extra condition a row must meet to be purged (SQL, no parameters). */
  condition?: string;
}

export const MESSAGES: PurgeTableSpec = {
  table: 'messages',
  timeColumn: 'timestamp',
};

/** Open sessions have no disconnected_at, so only closed ones can be older than a cutoff. */
export const AGENT_SESSIONS: PurgeTableSpec = {
  table: 'agent_sessions',
  timeColumn: 'disconnected_at',
};

/** Only finished tasks go; anything still open is kept however old it is. */
export const TASKS: PurgeTableSpec = {
  table: 'tasks',
  timeColumn: 'completed_at',
  condition: `status IN ('completed', 'failed')`,
};

/** The tables a run purges, in order: messages first (the bulk), tasks only when configured. */
export function purgeTables(options: { purgeTasks: boolean }): PurgeTableSpec[] {
  return options.purgeTasks ? [MESSAGES, AGENT_SESSIONS, TASKS] : [MESSAGES, AGENT_SESSIONS];
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

function expiredPredicate(spec: PurgeTableSpec): string {
  const base = `channel_id = $1 AND ${quote(spec.timeColumn)} < $2`;
  return spec.condition ? `${base} AND ${spec.condition}` : base;
}

/**
 * One bounded batch. PostgreSQL's DELETE has no LIMIT, so the rows come from a sub-select that walks
 * the (channel_id, time) index from the oldest row, collected into an array first: with
 * `id IN (SELECT …)` the planner picks a hash semi join over a sequential scan of the whole table
 * for every batch (measured 258 ms instead of 29 ms per 10,000-row batch on a 600k-row table, and
 * growing with it). The rows are addressed by ctid (a TID scan, no primary-key lookups: 1.7× the
 * rate of `id = ANY(…)` on 1M rows), and the expiry condition is checked again on every row the
 * DELETE touches, so it can only ever remove expired rows of this channel whatever a ctid points
 * to (a concurrently updated row, or a partitioned table some day). Parameters: channel id,
 * cutoff, batch size.
 */
export function deleteBatchSql(spec: PurgeTableSpec): string {
  const t = quote(spec.table);
  const expired = expiredPredicate(spec);
  return (
    `DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${expired} ` +
    `ORDER BY ${quote(spec.timeColumn)} LIMIT $3)) AND ${expired}`
  );
}

/** Counts what a purge would delete (dry run). Parameters: channel id, cutoff. */
export function countExpiredSql(spec: PurgeTableSpec): string {
  return `SELECT count(*)::bigint AS n FROM ${quote(spec.table)} WHERE ${expiredPredicate(spec)}`;
}
