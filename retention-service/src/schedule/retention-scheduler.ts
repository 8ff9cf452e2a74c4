import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { RunReport, RunRequest } from '../runs/retention-runner.js';

/** A run older than this (or none at all) means the service missed a scheduled run. */
export const CATCH_UP_AFTER_MS = 24 * 60 * 60 * 1000;

export interface RetentionSchedulerOptions {
  cron: string;
  timezone: string;
  logger: Logger;
  run: (request: RunRequest) => Promise<RunReport>;
  /** Start of the last successful non-dry run, for the catch-up decision. */
  lastSuccessAt: () => Promise<Date | undefined>;
}

/** True when the last successful run is missing or older than a day at `now`. */
export function isCatchUpDue(lastSuccessAt: Date | undefined, now: Date): boolean {
  return lastSuccessAt === undefined || now.getTime() - lastSuccessAt.getTime() > CATCH_UP_AFTER_MS;
}

/**
 * Fires runs on the cron schedule, one at a time in this process (a tick while a run is in
 * flight is skipped), and aborts the run in flight on stop so shutdown waits for one batch only.
 */
export class RetentionScheduler {
  private task: ScheduledTask | undefined;
  private current: { promise: Promise<RunReport>; abort: AbortController } | undefined;
  private stopped = false;

  constructor(private readonly options: RetentionSchedulerOptions) {}

  /**
   * Starts the schedule, then starts a run at once when the last successful run is more than a
   * day old (the service was down at its scheduled time); `catchUp` is that run, if any.
   */
  async start(now: Date = new Date()): Promise<{ catchUp: Promise<RunReport> | undefined }> {
    const { cron, timezone, logger } = this.options;
    this.task = createTask(cron, () => this.trigger('schedule'), { timezone, name: 'retention', noOverlap: true });
    await this.task.start();
    logger.info({ cron, timezone, nextRun: this.task.getNextRun() }, 'retention schedule started');
    let last: Date | undefined;
    try {
      last = await this.options.lastSuccessAt();
    } catch (error) {
      logger.error({ err: error }, 'cannot read the last retention run; waiting for the next schedule');
      return { catchUp: undefined };
    }
    if (!isCatchUpDue(last, now)) return { catchUp: undefined };
    logger.info({ lastSuccessAt: last ?? null }, 'last successful retention run is over a day old: running now');
    return { catchUp: this.trigger('catch-up') };
  }

  /** Starts a run unless one is in flight (or the scheduler is stopped); resolves with its report. */
  trigger(trigger: string): Promise<RunReport> | undefined {
    if (this.stopped) return undefined;
    if (this.current) {
      this.options.logger.warn({ trigger }, 'retention run still in progress: this trigger is skipped');
      return undefined;
    }
    const abort = new AbortController();
    const promise = this.options.run({ dryRun: false, trigger, signal: abort.signal }).finally(() => {
      this.current = undefined;
    });
    this.current = { promise, abort };
    return promise;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  nextRun(): Date | null {
    return this.task?.getNextRun() ?? null;
  }

  /** Stops the schedule; a run in flight finishes its batch, is recorded as interrupted, and is awaited. */
  async stop(): Promise<RunReport | undefined> {
    this.stopped = true;
    await this.task?.destroy();
    const current = this.current;
    if (!current) return undefined;
    current.abort.abort();
    return current.promise;
  }
}
