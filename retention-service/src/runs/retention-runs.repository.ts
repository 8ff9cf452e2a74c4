import type pg from 'pg';
import type { RowsByTable } from '../purge/purge-planner.js';

export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface RetentionRunRow {
  id: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: RunOutcome;
  dryRun: boolean;
  runner: string;
  cutoffDefault: Date | null;
  rowsDeleted: RowsByTable;
  error: string | null;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

interface DbRow {
  id: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: RunOutcome;
  dry_run: boolean;
  runner: string;
  cutoff_default: Date | null;
  rows_deleted: RowsByTable;
  error: string | null;
}

const COLUMNS = 'id, started_at, finished_at, outcome, dry_run, runner, cutoff_default, rows_deleted, error';

const toRun = (r: DbRow): RetentionRunRow => ({
  id: String(r.id),
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  outcome: r.outcome,
  dryRun: r.dry_run,
  runner: r.runner,
  cutoffDefault: r.cutoff_default,
  rowsDeleted: r.rows_deleted,
  error: r.error,
});

/** Reads and writes the `retention_runs` table (one row per run, dry runs included). */
export class RetentionRunsRepository {
  constructor(private readonly db: Queryable) {}

  /** Records a run as started; returns its id. */
  async start(run: { startedAt: Date; dryRun: boolean; runner: string; cutoffDefault: Date }): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO retention_runs (started_at, outcome, dry_run, runner, cutoff_default)
       VALUES ($1, 'running', $2, $3, $4) RETURNING id`,
      [run.startedAt, run.dryRun, run.runner, run.cutoffDefault],
    );
    return String(rows[0]!.id);
  }

  /** Records how a run ended. */
  async finish(
    id: string,
    result: { outcome: Exclude<RunOutcome, 'running'>; rowsDeleted: RowsByTable; error?: string },
  ): Promise<void> {
    await this.db.query(
      `UPDATE retention_runs SET finished_at = now(), outcome = $2, rows_deleted = $3::jsonb, error = $4 WHERE id = $1`,
      [id, result.outcome, JSON.stringify(result.rowsDeleted), result.error ?? null],
    );
  }

  /**
   * Marks runs still `running` as interrupted. Only called by the holder of the advisory lock,
   * so any such row belongs to a runner that died (crash, lost connection) mid-run.
   */
  async closeAbandoned(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE retention_runs SET finished_at = now(), outcome = 'interrupted',
         error = 'abandoned: its runner stopped without recording an outcome'
       WHERE outcome = 'running'`,
    );
    return rowCount ?? 0;
  }

  /** The most recent successful run that deleted rows (dry runs do not count), if any. */
  async lastSuccess(): Promise<RetentionRunRow | undefined> {
    const { rows } = await this.db.query<DbRow>(
      `SELECT ${COLUMNS} FROM retention_runs WHERE outcome = 'succeeded' AND NOT dry_run
       ORDER BY started_at DESC LIMIT 1`,
    );
    return rows[0] && toRun(rows[0]);
  }

  async get(id: string): Promise<RetentionRunRow | undefined> {
    const { rows } = await this.db.query<DbRow>(`SELECT ${COLUMNS} FROM retention_runs WHERE id = $1`, [id]);
    return rows[0] && toRun(rows[0]);
  }
}
