import { pino } from 'pino';
import { expect } from 'vitest';
import {
  RetentionRunner,
  type FinishedRunReport,
  type PurgeSettings,
  type RunObserver,
  type RunReport,
} from '../../src/runs/retention-runner.js';
import type { RelayDatabase } from './relay-database.js';

export const silentLogger = pino({ level: 'silent' });

export const DEFAULT_SETTINGS: PurgeSettings = { retentionDays: 30, batchSize: 10_000, batchPauseMs: 0, purgeTasks: false };

/** A runner on the test database with a silent logger. */
export function createRunner(
  db: RelayDatabase,
  settings: Partial<PurgeSettings> = {},
  options: { observer?: RunObserver; runnerName?: string } = {},
): RetentionRunner {
  return new RetentionRunner({
    databaseUrl: db.url,
    pool: db.pool,
    settings: { ...DEFAULT_SETTINGS, ...settings },
    logger: silentLogger,
    observer: options.observer,
    runnerName: options.runnerName ?? 'test-runner',
  });
}

/** Asserts that a run held the lock (was not skipped) and narrows its report. */
export function asFinished(report: RunReport): FinishedRunReport {
  expect(report.status).not.toBe('skipped');
  return report as FinishedRunReport;
}
