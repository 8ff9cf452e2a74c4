import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Authenticator } from './auth/authenticator.js';
import { busReadiness, connectBus, type Bus } from './bus/nats-bus.js';
import { BusConsumer } from './bus/event-consumer.js';
import { JetStreamPublisher } from './bus/event-publisher.js';
import { GatewayPeers } from './cluster/gateway-peers.js';
import type { GatewayConfig } from './config.js';
import { RelayService } from './core/relay-service.js';
import { Router } from './core/router.js';
import { authHook } from './http/auth-hook.js';
import { healthRoutes } from './http/health.routes.js';
import { queryRoutes } from './http/queries.routes.js';
import { errorHandler } from './http/http-errors.js';
import { serializeRequest } from './http/log-serializers.js';
import { statsRoutes } from './http/stats.routes.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { registerNativeProtocol } from './protocols/native/native-protocol.js';
import { registerSignalRProtocol } from './protocols/signalr/signalr-protocol.js';
import { registerWebSocketSupport } from './protocols/websocket-support.js';
import { QueryClient } from './queries/query-client.js';

/** How long clients get at shutdown to answer the 1012 close before their sockets are dropped. */
const CLOSE_GRACE_MS = 2_000;

/** The running parts of one gateway, for tests, the entry point and further protocol adapters. */
export interface Gateway {
  config: GatewayConfig;
  bus: Bus;
  relay: RelayService;
  metrics: GatewayMetrics;
  peers: GatewayPeers;
  consumer: BusConsumer;
  authenticator: Authenticator;
  /** Cold queries (history, agents, tasks) answered by the persistence service, for every adapter. */
  queries: QueryClient;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: Gateway;
  }
}

/** pino options of the gateway: request logs without tokens (see log-serializers.ts). */
export function gatewayLoggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return { level, serializers: { req: serializeRequest }, ...(stream && { stream }) };
}

export interface BuildGatewayOptions {
  /** fastify logger option; default: gatewayLoggerOptions(config.logLevel). */
  logger?: FastifyServerOptions['logger'];
  /** Also export process metrics (CPU, memory, event loop) — once per process, so off in tests. */
  defaultMetrics?: boolean;
}

/**
 * Builds a gateway: connects to NATS (creating the stream when missing), starts reading the stream
 * and syncing the cluster directory, and registers the routes. Never listens (see main.ts).
 */
export async function buildGateway(config: GatewayConfig, options: BuildGatewayOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? gatewayLoggerOptions(config.logLevel),
    // Sockets of refused upgrades are destroyed by @fastify/websocket; keep HTTP sockets short-lived.
    forceCloseConnections: 'idle',
  });
  app.setErrorHandler(errorHandler);
  app.decorateRequest('principal', null);

  const bus = await connectBus(config.nats, config.gatewayId, app.log);
  try {
    const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? false });
    const publisher = new JetStreamPublisher(bus.nc, bus.subjects, { timeoutMs: config.nats.publishTimeoutMs, attempts: config.nats.publishAttempts }, metrics);
    const relay = new RelayService(config.gatewayId, config.limits, publisher, app.log);
    const router = new Router({
      gatewayId: config.gatewayId,
      registry: relay.registry,
      directory: relay.directory,
      metrics,
      sendBufferLimitBytes: config.limits.sendBufferLimitBytes,
      log: app.log,
    });
    const consumer = new BusConsumer(bus.js, bus.streamName, bus.subjects, router, app.log);
    const peers = new GatewayPeers({
      nc: bus.nc,
      subjects: bus.subjects,
      relay,
      publisher,
      beaconIntervalMs: config.cluster.beaconIntervalMs,
      syncTimeoutMs: config.cluster.syncTimeoutMs,
      log: app.log,
    });
    const authenticator = new Authenticator(config.auth);
    const queries = new QueryClient({ nc: bus.nc, subjects: bus.subjects, timeoutMs: config.queries.timeoutMs, metrics, log: app.log });
    app.decorate('gateway', { config, bus, relay, metrics, peers, consumer, authenticator, queries });
    metrics.observe({
      connections: () => relay.registry.size,
      registeredAgents: () => relay.registry.registeredCount,
      directoryAgents: () => relay.directory.size,
      peers: () => peers.size,
    });

    // Shutdown order: agents leave (on the bus) and clients are told to reconnect while NATS is
    // still up; then stop reading, say goodbye to the peers, and drain NATS last.
    app.addHook('preClose', async () => {
      await relay.shutdown(Math.min(CLOSE_GRACE_MS, config.shutdownTimeoutMs / 4));
    });
    app.addHook('onClose', async () => {
      await consumer.stop();
      await peers.stop();
      publisher.stop();
      if (!bus.nc.isClosed()) await bus.nc.drain();
    });

    const authenticate = authHook(authenticator);
    await registerWebSocketSupport(app, { maxFrameBytes: config.limits.maxFrameBytes });
    registerNativeProtocol(app, { relay, queries, metrics, authenticate });
    registerSignalRProtocol(app, {
      relay,
      queries,
      metrics,
      authenticate,
      maxFrameBytes: config.limits.maxFrameBytes,
      maxPendingConnections: config.limits.maxConnections,
    });
    statsRoutes(app, { relay, authenticate });
    queryRoutes(app, { queries, authenticate });
    healthRoutes(app, {
      metrics,
      ready: async () => ({ ...(await busReadiness(bus)), consumer: consumer.running, directory: peers.ready }),
    });

    relay.start();
    await consumer.start();
    await peers.start();
    return app;
  } catch (error) {
    await bus.nc.close();
    throw error;
  }
}
