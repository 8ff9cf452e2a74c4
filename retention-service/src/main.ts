/**
 * The retention service: `node retention-service/dist/main.js` (or `npm run start -w @coorchat/retention-service`).
 * Boot: validated config → PostgreSQL pool → health/metrics server → cron schedule (+ catch-up run).
 * SIGTERM/SIGINT: the run in flight finishes its batch and is recorded as interrupted, the lock is
 * released, exit 0; a second signal or SHUTDOWN_TIMEOUT_MS passing exits 1.
 */
import { pino } from 'pino';
import { envHelp, installGracefulShutdown, RetentionEnv } from '@coorchat/shared';
import { loadRetentionConfigOrExit } from './config/retention-config.js';
import { createRetentionService } from './retention-service.js';

const HELP = `usage: node retention-service/dist/main.js [--help]

Runs the retention service: purges expired messages and closed agent sessions (and finished
tasks when RETENTION_PURGE_TASKS=true) on the RETENTION_CRON schedule, serves /healthz and
/metrics on HOST:PORT. Configuration comes from the environment (see docs/retention.md).
For a single run now, use the CLI: npm run retention -- --once [--dry-run]

Environment:
${envHelp(RetentionEnv)}`;

if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  console.log(HELP);
  process.exit(0);
}

const config = loadRetentionConfigOrExit();

const logger = pino({ level: config.logLevel, name: 'retention-service' });
const service = createRetentionService(config, logger);

installGracefulShutdown({
  log: logger,
  timeoutMs: config.shutdownTimeoutMs,
  stop: async () => {
    await service.close();
    logger.info('shut down cleanly');
  },
});

try {
  const address = await service.app.listen({ host: config.host, port: config.port });
  logger.info({ address }, 'retention service listening');
  await service.start();
} catch (error) {
  logger.fatal({ err: error }, 'retention service failed to start');
  await service.close().catch(() => undefined);
  process.exit(1);
}
