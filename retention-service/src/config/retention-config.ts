import { validateDetailed } from 'node-cron';
import { ConfigError, loadEnv, RetentionEnv } from '@coorchat/shared';

/** The retention service's typed configuration, validated once at boot. */
export interface RetentionConfig {
  databaseUrl: string;
  host: string;
  port: number;
  logLevel: RetentionEnv['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  cron: string;
  timezone: string;
  retentionDays: number;
  batchSize: number;
  batchPauseMs: number;
  purgeTasks: boolean;
}

/** Problems with a cron expression as node-cron reports them, or none when it is valid. */
export function cronExpressionProblems(expression: string): string[] {
  const result = validateDetailed(expression);
  if (result.valid) return [];
  const reasons = result.errors.map((e) => (e.field === 'expression' ? e.message : `${e.field}: ${e.message}`));
  return [
    `RETENTION_CRON "${expression}" is not a valid cron expression (${reasons.join('; ')}); ` +
      'expected "minute hour day-of-month month day-of-week", optionally preceded by seconds, e.g. "0 3 * * *"',
  ];
}

function timezoneProblems(timezone: string): string[] {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return [];
  } catch {
    return [`RETENTION_TIMEZONE "${timezone}" is not an IANA time zone (e.g. "UTC", "Europe/Paris")`];
  }
}

/** Reads the environment, checks the cron expression and time zone, and throws one ConfigError listing every problem. */
export function loadRetentionConfig(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  const cron = env.RETENTION_CRON || RetentionEnv.properties.RETENTION_CRON.default;
  const timezone = env.RETENTION_TIMEZONE || RetentionEnv.properties.RETENTION_TIMEZONE.default;
  const problems = [...cronExpressionProblems(cron), ...timezoneProblems(timezone)];
  let raw: RetentionEnv;
  try {
    raw = loadEnv(RetentionEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...error.problems, ...problems]);
    throw error;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl: raw.DATABASE_URL,
    host: raw.HOST,
    port: raw.PORT,
    logLevel: raw.LOG_LEVEL,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    cron: raw.RETENTION_CRON,
    timezone: raw.RETENTION_TIMEZONE,
    retentionDays: raw.RETENTION_DAYS,
    batchSize: raw.RETENTION_BATCH_SIZE,
    batchPauseMs: raw.RETENTION_BATCH_PAUSE_MS,
    purgeTasks: raw.RETENTION_PURGE_TASKS,
  };
}

/** For entry points: the config, or the problems on stderr and exit status 2. */
export function loadRetentionConfigOrExit(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  try {
    return loadRetentionConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}
