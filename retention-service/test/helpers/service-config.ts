import type { RetentionConfig } from '../../src/config/retention-config.js';

/** A schedule that never fires during a test run (03:00 UTC on 1 January). */
export const DORMANT_CRON = '0 3 1 1 *';

export function testConfig(databaseUrl: string, overrides: Partial<RetentionConfig> = {}): RetentionConfig {
  return {
    databaseUrl,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    shutdownTimeoutMs: 5_000,
    cron: DORMANT_CRON,
    timezone: 'UTC',
    retentionDays: 30,
    batchSize: 10_000,
    batchPauseMs: 0,
    purgeTasks: false,
    ...overrides,
  };
}
