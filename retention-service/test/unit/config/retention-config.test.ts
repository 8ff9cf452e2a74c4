import { describe, expect, it } from 'vitest';
import { ConfigError } from '@coorchat/shared';
import { cronExpressionProblems, loadRetentionConfig } from '../../../src/config/retention-config.js';

describe('loadRetentionConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadRetentionConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/coorchat',
      port: 3002,
      cron: '0 3 * * *',
      timezone: 'UTC',
      retentionDays: 30,
      batchSize: 10_000,
      batchPauseMs: 250,
      purgeTasks: false,
    });
  });

  it('coerces numbers and booleans from strings', () => {
    const config = loadRetentionConfig({
      RETENTION_DAYS: '7',
      RETENTION_BATCH_SIZE: '500',
      RETENTION_BATCH_PAUSE_MS: '20',
      RETENTION_PURGE_TASKS: 'true',
      RETENTION_CRON: '*/15 * * * * *',
      RETENTION_TIMEZONE: 'Europe/Paris',
    });
    expect(config).toMatchObject({ retentionDays: 7, batchSize: 500, batchPauseMs: 20, purgeTasks: true, timezone: 'Europe/Paris' });
  });

  it('rejects a bad cron expression with a message naming the variable, the field and the expected form', () => {
    let error: unknown;
    try {
      loadRetentionConfig({ RETENTION_CRON: '61 3 * * *' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('RETENTION_CRON "61 3 * * *" is not a valid cron expression');
    expect(message).toContain('minute');
    expect(message).toContain('"0 3 * * *"');
  });

  it('reports a wrong number of fields', () => {
    expect(cronExpressionProblems('0 3 * *')[0]).toMatch(/expected 5 or 6 fields but got 4/);
    expect(cronExpressionProblems('0 3 * * *')).toEqual([]);
  });

  it('reports every problem at once: schema, cron and time zone', () => {
    let error: ConfigError | undefined;
    try {
      loadRetentionConfig({ RETENTION_CRON: 'nightly', RETENTION_TIMEZONE: 'Mars/Olympus', RETENTION_DAYS: '0' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toHaveLength(3);
    expect(error?.problems.join('\n')).toMatch(/RETENTION_DAYS/);
    expect(error?.problems.join('\n')).toMatch(/RETENTION_CRON "nightly"/);
    expect(error?.problems.join('\n')).toMatch(/RETENTION_TIMEZONE "Mars\/Olympus" is not an IANA time zone/);
  });
});
