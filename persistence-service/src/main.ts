/**
 * Entry point of the persistence service: validated config → NATS + ORM → consumer, queries and
 * HTTP server → graceful shutdown on SIGTERM/SIGINT under SHUTDOWN_TIMEOUT_MS (second signal or
 * deadline: exit 1; clean: exit 0).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { envHelp, installGracefulShutdown, PersistenceEnv } from '@coorchat/shared';
import { loadPersistenceConfig } from './config/persistence-config.js';
import { startPersistence } from './persistence-service.js';

const HELP = `usage: node persistence-service/dist/main.js [--help]

Consumes relay events from the JetStream stream into PostgreSQL (run the migrations first:
npm run migrate), answers the cold queries on <prefix>.query.<name>, serves /healthz, /readyz
and /metrics. Configuration comes from the environment:
${envHelp(PersistenceEnv)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = loadPersistenceConfig();
  const log = pino({ level: config.logLevel, name: 'persistence-service' });
  const service = await startPersistence(config, log);

  const shutdown = installGracefulShutdown({ log, timeoutMs: config.shutdownTimeoutMs, stop: () => service.stop() });

  // Losing NATS for good or the consumer loop crashing leaves nothing to serve: let the orchestrator restart us.
  void service.nc.closed().then((error) => {
    if (shutdown.stopping) return;
    log.fatal({ err: error }, 'NATS connection closed');
    process.exit(1);
  });
  service.consumer.done.catch(() => {
    if (shutdown.stopping) return;
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  console.error('persistence service failed to start:', error);
  process.exit(1);
});
