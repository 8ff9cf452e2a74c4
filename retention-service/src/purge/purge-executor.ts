import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { PurgeTarget, RowsByTable } from './purge-planner.js';
import { countExpiredSql, deleteBatchSql, type PurgeTableName } from './purge-tables.js';

export interface PurgeOptions {
  batchSize: number;
  batchPauseMs: number;
  /** Count what would go instead of deleting it. */
  dryRun: boolean;
  /** Checked between batches: the batch in flight always completes, then the purge stops. */
  signal?: AbortSignal;
  /** Called after every committed batch (metrics, progress logs). */
  onBatch?: (table: PurgeTableName, channel: string, deleted: number) => void;
}

export interface TargetResult {
  table: PurgeTableName;
  channel: string;
  retentionDays: number;
  cutoff: Date;
  /** Rows deleted, or in a dry run the rows that would be. */
  rows: number;
}

export interface PurgeOutcome {
  /** True when the signal stopped the purge before every target was done. */
  interrupted: boolean;
  targets: TargetResult[];
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/** A purge that stopped on an error, with what it had done by then (whole batches only). */
export class PurgeFailedError extends Error {
  override readonly name = 'PurgeFailedError';
  constructor(
    readonly targets: TargetResult[],
    options: { cause: unknown; table: string; channel: string },
  ) {
    super(`purging ${options.table} of channel "${options.channel}" failed`, { cause: options.cause });
  }
}

/** Sums target results per table; every table that had a target appears, even with 0 rows. */
export function rowsByTable(targets: readonly TargetResult[]): RowsByTable {
  const totals: RowsByTable = {};
  for (const t of targets) totals[t.table] = (totals[t.table] ?? 0) + t.rows;
  return totals;
}

async function pauseBetweenBatches(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    // An abort during the pause only ends the wait; the loop sees the signal and stops.
    if (!signal?.aborted) throw error;
  }
}

/**
 * Deletes the expired rows of each target in batches of `batchSize`. Each DELETE runs in
 * autocommit mode, so every batch is its own short transaction and an interruption between
 * two batches leaves only whole batches done: the next run deletes what is still expired.
 */
export async function executePurge(
  db: Queryable,
  targets: readonly PurgeTarget[],
  options: PurgeOptions,
): Promise<PurgeOutcome> {
  const results: TargetResult[] = [];
  for (const target of targets) {
    if (options.signal?.aborted) return { interrupted: true, targets: results };
    const result: TargetResult = {
      table: target.spec.table,
      channel: target.channel,
      retentionDays: target.retentionDays,
      cutoff: target.cutoff,
      rows: 0,
    };
    results.push(result);
    try {
      const finished = options.dryRun ? await countTarget(db, target, result) : await purgeTarget(db, target, result, options);
      if (!finished) return { interrupted: true, targets: results };
    } catch (error) {
      throw new PurgeFailedError(results, { cause: error, table: result.table, channel: result.channel });
    }
  }
  return { interrupted: false, targets: results };
}

async function countTarget(db: Queryable, target: PurgeTarget, result: TargetResult): Promise<true> {
  const { rows } = await db.query<{ n: string }>(countExpiredSql(target.spec), [target.channelId, target.cutoff]);
  result.rows = Number(rows[0]?.n ?? 0);
  return true;
}

/** Deletes batch after batch until one comes back short; false when the signal stopped it first. */
async function purgeTarget(db: Queryable, target: PurgeTarget, result: TargetResult, options: PurgeOptions): Promise<boolean> {
  const { signal } = options;
  const sql = deleteBatchSql(target.spec);
  for (;;) {
    const { rowCount } = await db.query(sql, [target.channelId, target.cutoff, options.batchSize]);
    const deleted = rowCount ?? 0;
    result.rows += deleted;
    if (deleted > 0) options.onBatch?.(result.table, result.channel, deleted);
    if (deleted < options.batchSize) return true;
    if (signal?.aborted) return false;
    await pauseBetweenBatches(options.batchPauseMs, signal);
    if (signal?.aborted) return false;
  }
}
