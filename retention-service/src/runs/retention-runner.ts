import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import { releaseAdvisoryLock, tryAdvisoryLock } from '../lock/advisory-lock.js';
import { executePurge, PurgeFailedError, rowsByTable, type TargetResult } from '../purge/purge-executor.js';
import { cutoffFor, loadChannels, planTargets, type RowsByTable } from '../purge/purge-planner.js';
import { purgeTables } from '../purge/purge-tables.js';
import { RetentionRunsRepository } from './retention-runs.repository.js';

/** Opening the dedicated connection gives up after this long (the run then fails and is retried on schedule). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Upper bound of one statement of a run: a batch takes well under a second, so hitting this means
 * something is stuck (a lock wait on a row held by a long transaction) and the run should fail and
 * release the lock rather than hold it indefinitely.
 */
const STATEMENT_TIMEOUT_MS = 300_000;

export interface PurgeSettings {
  retentionDays: number;
  batchSize: number;
  batchPauseMs: number;
  purgeTasks: boolean;
}

export interface RunRequest {
  dryRun: boolean;
  /** Why the run happens (logged): `schedule`, `catch-up`, `cli`… */
  trigger: string;
  /** Aborting stops the run after the batch in flight; it is then recorded as interrupted. */
  signal?: AbortSignal;
  /** The instant cutoffs are computed from (tests); defaults to the start of the run. */
  now?: Date;
}

export interface SkippedRunReport {
  status: 'skipped';
  dryRun: boolean;
  trigger: string;
  reason: string;
}

export interface FinishedRunReport {
  status: 'succeeded' | 'interrupted' | 'failed';
  dryRun: boolean;
  trigger: string;
  /** The `retention_runs` id; absent when the run failed before it could be recorded. */
  runId?: string;
  startedAt: Date;
  durationMs: number;
  cutoffDefault: Date;
  /** Per table and channel: rows deleted (or, in a dry run, rows that would be). */
  targets: TargetResult[];
  rowsDeleted: RowsByTable;
  error?: Error;
}

export type RunReport = SkippedRunReport | FinishedRunReport;

export interface RunObserver {
  recordBatch(table: TargetResult['table'], rows: number): void;
  recordRun(report: RunReport): void;
}

export interface RetentionRunnerOptions {
  databaseUrl: string;
  /** Pooled connections for the `retention_runs` bookkeeping. */
  pool: pg.Pool;
  settings: PurgeSettings;
  logger: Logger;
  observer?: RunObserver;
  /** Recorded in `retention_runs.runner`; defaults to host name and pid. */
  runnerName?: string;
}

/** The name a runner records, e.g. the pod name and pid. */
export function defaultRunnerName(): string {
  return `${process.env.HOSTNAME || hostname()}:${process.pid}`;
}

/** The error and its causes on one line, for `retention_runs.error`. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
}

const toError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * One purge run: take the advisory lock on a dedicated connection (or skip when another runner
 * holds it), record the run, delete (or count) expired rows in batches on that same connection,
 * record the outcome, release the lock. Never throws: failures come back as a `failed` report.
 */
export class RetentionRunner {
  private readonly runnerName: string;

  constructor(private readonly options: RetentionRunnerOptions) {
    this.runnerName = options.runnerName ?? defaultRunnerName();
  }

  async run(request: RunRequest): Promise<RunReport> {
    const started = { at: request.now ?? new Date(), clock: performance.now() };
    let report: RunReport;
    try {
      report = await this.runWithLock(request, started);
    } catch (error) {
      report = this.finished(request, started, { status: 'failed', targets: [], error: toError(error) });
    }
    this.options.observer?.recordRun(report);
    this.log(report);
    return report;
  }

  private async runWithLock(request: RunRequest, started: { at: Date; clock: number }): Promise<RunReport> {
    const { logger } = this.options;
    // A connection of its own, outside the pool: the advisory lock belongs to the session, and
    // running the batches on it means the deletes stop the moment the lock could be lost.
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'coorchat-retention',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
    });
    client.on('error', (error) => logger.warn({ err: error }, 'retention lock connection failed'));
    try {
      await client.connect().catch((error: unknown) => {
        throw new Error('cannot connect to PostgreSQL', { cause: error });
      });
      if (!(await tryAdvisoryLock(client))) {
        return { status: 'skipped', dryRun: request.dryRun, trigger: request.trigger, reason: 'another runner holds the retention lock' };
      }
      try {
        return await this.recordedPurge(client, request, started);
      } finally {
        await releaseAdvisoryLock(client).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not release the retention lock (it goes with the connection)'),
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async recordedPurge(client: pg.Client, request: RunRequest, started: { at: Date; clock: number }): Promise<FinishedRunReport> {
    const { settings, logger, observer } = this.options;
    // Bookkeeping goes through the pool, not the lock's connection: a run whose connection died
    // can still be recorded as failed.
    const runs = new RetentionRunsRepository(this.options.pool);
    const abandoned = await runs.closeAbandoned();
    if (abandoned > 0) logger.warn({ abandoned }, 'marked runs left running by a dead runner as interrupted');
    const runId = await runs.start({
      startedAt: started.at,
      dryRun: request.dryRun,
      runner: this.runnerName,
      cutoffDefault: cutoffFor(started.at, settings.retentionDays),
    });
    let report: FinishedRunReport;
    try {
      const channels = await loadChannels(client);
      const targets = planTargets(channels, purgeTables(settings), { now: started.at, defaultDays: settings.retentionDays });
      const outcome = await executePurge(client, targets, {
        batchSize: settings.batchSize,
        batchPauseMs: settings.batchPauseMs,
        dryRun: request.dryRun,
        signal: request.signal,
        onBatch: (table, _channel, rows) => observer?.recordBatch(table, rows),
      });
      const status = outcome.interrupted ? 'interrupted' : 'succeeded';
      report = this.finished(request, started, { status, runId, targets: outcome.targets });
    } catch (error) {
      const targets = error instanceof PurgeFailedError ? error.targets : [];
      report = this.finished(request, started, { status: 'failed', runId, targets, error: toError(error) });
    }
    try {
      await runs.finish(runId, {
        outcome: report.status,
        rowsDeleted: report.rowsDeleted,
        error: report.error && describeError(report.error),
      });
    } catch (error) {
      logger.error({ err: error, runId }, 'could not record the outcome of a retention run');
    }
    return report;
  }

  private finished(
    request: RunRequest,
    started: { at: Date; clock: number },
    result: Pick<FinishedRunReport, 'status' | 'targets'> & { runId?: string; error?: Error },
  ): FinishedRunReport {
    return {
      ...result,
      dryRun: request.dryRun,
      trigger: request.trigger,
      startedAt: started.at,
      durationMs: performance.now() - started.clock,
      cutoffDefault: cutoffFor(started.at, this.options.settings.retentionDays),
      rowsDeleted: rowsByTable(result.targets),
    };
  }

  private log(report: RunReport): void {
    const { logger } = this.options;
    const fields = { trigger: report.trigger, dryRun: report.dryRun };
    if (report.status === 'skipped') {
      logger.info(fields, `retention run skipped: ${report.reason}`);
      return;
    }
    const details = { ...fields, runId: report.runId, durationMs: Math.round(report.durationMs), rows: report.rowsDeleted };
    if (report.status === 'failed') logger.error({ ...details, err: report.error }, 'retention run failed; retried at the next schedule');
    else if (report.status === 'interrupted') logger.warn(details, 'retention run interrupted; the next run carries on');
    else logger.info(details, report.dryRun ? 'retention dry run done (nothing deleted)' : 'retention run succeeded');
  }
}
