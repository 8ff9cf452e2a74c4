#!/usr/bin/env node
/**
 * Gateway entry point: validated config → NATS → HTTP/WebSocket server → graceful shutdown.
 * `node gateway/dist/main.js --help` lists the environment variables.
 */
import { parseArgs } from 'node:util';
import { ConfigError, envHelp, GatewayEnv, installGracefulShutdown } from '@coorchat/shared';
import { buildGateway } from './app.js';
import { loadGatewayConfig } from './config.js';

function usage(): string {
  return [
    'usage: node gateway/dist/main.js [--help]',
    '',
    'CoorChat Relay gateway: agents connect over WebSocket (/ws), authenticate per channel and',
    'exchange messages through NATS JetStream. Configured by environment variables; a secret may',
    'instead be read from the file named by <NAME>_FILE (CHANNEL_TOKENS_FILE, JWT_SECRET_FILE).',
    '',
    'Environment:',
    envHelp(GatewayEnv),
    '',
    'SIGTERM/SIGINT: refuse new connections, announce every agent as left, close clients with 1012,',
    'drain NATS, exit 0 — or exit 1 after SHUTDOWN_TIMEOUT_MS or on a second signal.',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(usage());
    return;
  }

  let config;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }

  const app = await buildGateway(config, { defaultMetrics: true });
  if (config.auth.channelTokens.length === 0 && !config.auth.jwtSecret) {
    app.log.warn('neither CHANNEL_TOKENS nor JWT_SECRET is set: every connection will be refused');
  }
  const shutdown = installGracefulShutdown({ log: app.log, timeoutMs: config.shutdownTimeoutMs, stop: () => app.close() });

  // With unlimited reconnects the connection only closes for good on a fatal error: let the
  // orchestrator restart us rather than serve without a bus.
  void app.gateway.bus.nc.closed().then((error) => {
    if (shutdown.stopping) return;
    app.log.fatal({ err: error }, 'NATS connection closed for good');
    process.exit(1);
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  app.log.info({ gatewayId: config.gatewayId, port: typeof address === 'object' && address ? address.port : config.port }, 'gateway listening');
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error);
  process.exit(1);
});
