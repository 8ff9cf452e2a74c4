#!/usr/bin/env node
/**
 * Gateway entry point: validated config → NATS → HTTP/WebSocket server → graceful shutdown.
 * `node gateway/dist/main.js --help` lists the environment variables.
 */
import { parseArgs } from 'node:util';
import { ConfigError, GatewayEnv } from '@coorchat/shared';
import { buildGateway } from './app.js';
import { loadGatewayConfig } from './config.js';

function usage(): string {
  const rows = Object.entries(GatewayEnv.properties).map(([name, schema]) => {
    const { default: fallback, description } = schema as { default?: unknown; description?: string };
    const shown = fallback === undefined || fallback === '' ? '' : ` (default ${JSON.stringify(fallback)})`;
    return `  ${name.padEnd(26)}${description ?? ''}${shown}`;
  });
  return [
    'usage: node gateway/dist/main.js [--help]',
    '',
    'CoorChat Relay gateway: agents connect over WebSocket (/ws), authenticate per channel and',
    'exchange messages through NATS JetStream. Configured by environment variables; a secret may',
    'instead be read from the file named by <NAME>_FILE (CHANNEL_TOKENS_FILE, JWT_SECRET_FILE).',
    '',
    'Environment:',
    ...rows,
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
  let stopping = false;

  // With unlimited reconnects the connection only closes for good on a fatal error: let the
  // orchestrator restart us rather than serve without a bus.
  void app.gateway.bus.nc.closed().then((error) => {
    if (stopping) return;
    app.log.fatal({ err: error }, 'NATS connection closed for good');
    process.exit(1);
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.error({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  app.log.info({ gatewayId: config.gatewayId, port: typeof address === 'object' && address ? address.port : config.port }, 'gateway listening');
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error);
  process.exit(1);
});
