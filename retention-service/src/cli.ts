/**
 * `npm run retention -- --once [--dry-run]`: one purge now, with a summary on stdout.
 * Exit status: 0 succeeded, skipped (another runner holds the lock) or interrupted by a signal;
 * 1 failed; 2 bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import pg from 'pg';
import { loadRetentionConfigOrExit } from './config/retention-config.js';
import { RetentionRunner } from './runs/retention-runner.js';
import { formatRunSummary } from './runs/run-summary.js';

const USAGE = `usage: npm run retention -- --once [--dry-run]

Runs one retention purge now against DATABASE_URL, under the same advisory lock as the
scheduled service (if another runner holds it, the run is skipped), and prints a summary.

  --once      run one purge now (required: the scheduled service is retention-service/src/main.ts)
  --dry-run   count, per channel and table, what would be deleted; delete nothing
  -h, --help  show this help

Configuration (environment): DATABASE_URL, RETENTION_DAYS, RETENTION_BATCH_SIZE,
RETENTION_BATCH_PAUSE_MS, RETENTION_PURGE_TASKS, LOG_LEVEL (see docs/retention.md).
Exit status: 0 done, skipped or interrupted (Ctrl-C stops after the current batch);
1 the run failed; 2 bad usage or configuration.`;

function usageError(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let args: { once: boolean; dryRun: boolean; help: boolean };
try {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  args = { once: values.once, dryRun: values['dry-run'], help: values.help };
} catch (error) {
  usageError((error as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.once) usageError('--once is required');

const config = loadRetentionConfigOrExit();

// Logs go to stderr so stdout carries only the summary.
const logger = pino({ level: config.logLevel, name: 'retention-cli' }, pino.destination(2));
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, application_name: 'coorchat-retention-cli' });
pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
const abort = new AbortController();
const onSignal = () => {
  if (abort.signal.aborted) process.exit(1);
  logger.warn('stopping after the current batch (signal again to quit now)');
  abort.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const runner = new RetentionRunner({ databaseUrl: config.databaseUrl, pool, settings: config, logger });
const report = await runner.run({ dryRun: args.dryRun, trigger: 'cli', signal: abort.signal });
await pool.end();
console.log(formatRunSummary(report));
process.exit(report.status === 'failed' ? 1 : 0);
