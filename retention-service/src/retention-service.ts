import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Logger } from 'pino';
import type { RetentionConfig } from './config/retention-config.js';
import { buildApp } from './http/app.js';
import { RetentionMetrics } from './metrics/retention-metrics.js';
import { RetentionRunner } from './runs/retention-runner.js';
import { RetentionRunsRepository } from './runs/retention-runs.repository.js';
import { RetentionScheduler } from './schedule/retention-scheduler.js';

/** Bookkeeping needs one connection at a time; the purge itself runs on a dedicated one. */
const BOOKKEEPING_POOL_MAX = 2;

export interface RetentionService {
  app: FastifyInstance;
  runner: RetentionRunner;
  scheduler: RetentionScheduler;
  metrics: RetentionMetrics;
  /** Starts the schedule (and the catch-up run when one is due); `catchUp` is that run. */
  start(now?: Date): ReturnType<RetentionScheduler['start']>;
  /** Stops the schedule, interrupts a run in flight after its batch, closes the HTTP app and the pool. */
  close(): Promise<void>;
}

/** Wires config, pool, runner, scheduler, metrics and the HTTP app; nothing runs until `start`. */
export function createRetentionService(
  config: RetentionConfig,
  logger: Logger,
  options: { runnerName?: string; defaultMetrics?: boolean } = {},
): RetentionService {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: BOOKKEEPING_POOL_MAX,
    application_name: 'coorchat-retention',
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  const metrics = new RetentionMetrics({ defaultMetrics: options.defaultMetrics });
  const runs = new RetentionRunsRepository(pool);
  const runner = new RetentionRunner({
    databaseUrl: config.databaseUrl,
    pool,
    settings: config,
    logger,
    observer: metrics,
    runnerName: options.runnerName,
  });
  const scheduler = new RetentionScheduler({
    cron: config.cron,
    timezone: config.timezone,
    logger,
    run: async (request) => {
      metrics.running.set(1);
      try {
        return await runner.run(request);
      } finally {
        metrics.running.set(0);
      }
    },
    lastSuccessAt: async () => {
      const last = await runs.lastSuccess();
      if (last) metrics.setLastSuccess(last.startedAt);
      return last?.startedAt;
    },
  });
  const app = buildApp({
    logger,
    metrics,
    status: () => ({ running: scheduler.busy, nextRun: scheduler.nextRun() }),
  });

  return {
    app,
    runner,
    scheduler,
    metrics,
    start: (now) => scheduler.start(now),
    async close() {
      await scheduler.stop();
      await app.close();
      await pool.end();
    },
  };
}
