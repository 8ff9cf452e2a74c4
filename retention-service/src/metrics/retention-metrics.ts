import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PurgeTableName } from '../purge/purge-tables.js';
import type { RunReport } from '../runs/retention-runner.js';

/** Run durations range from milliseconds (nothing expired) to tens of minutes (100× volumes). */
const RUN_DURATION_BUCKETS_S = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600];

/** Prometheus metrics of one service instance, on a registry of its own (no global state). */
export class RetentionMetrics {
  readonly registry = new Registry();
  private readonly rowsDeleted = new Counter({
    name: 'retention_rows_deleted_total',
    help: 'Rows deleted by retention runs, per table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  private readonly runs = new Counter({
    name: 'retention_runs_total',
    help: 'Retention runs by outcome (skipped: another replica held the lock)',
    labelNames: ['outcome', 'dry_run'] as const,
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: 'retention_run_failures_total',
    help: 'Retention runs that failed (retried at the next schedule)',
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'retention_run_duration_seconds',
    help: 'Duration of retention runs that held the lock',
    labelNames: ['outcome'] as const,
    buckets: RUN_DURATION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'retention_last_success_timestamp_seconds',
    help: 'Start time of the last successful (non-dry) run, Unix seconds; 0 when none is known',
    registers: [this.registry],
  });
  readonly running = new Gauge({
    name: 'retention_run_in_progress',
    help: '1 while this instance runs a purge',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a committed batch as soon as it is done, so the counter moves during long runs. */
  recordBatch(table: PurgeTableName, rows: number): void {
    this.rowsDeleted.inc({ table }, rows);
  }

  recordRun(report: RunReport): void {
    this.runs.inc({ outcome: report.status, dry_run: String(report.dryRun) });
    if (report.status === 'skipped') return;
    this.duration.observe({ outcome: report.status }, report.durationMs / 1000);
    if (report.status === 'failed') this.failures.inc();
    if (report.status === 'succeeded' && !report.dryRun) this.setLastSuccess(report.startedAt);
  }

  /** Seeds the gauge from `retention_runs` at boot, so a restart does not reset it. */
  setLastSuccess(startedAt: Date): void {
    this.lastSuccess.set(startedAt.getTime() / 1000);
  }
}
