import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RetentionMetrics } from '../metrics/retention-metrics.js';

export interface HealthStatus {
  running: boolean;
  nextRun: Date | null;
}

export interface AppOptions {
  logger: FastifyBaseLogger;
  metrics: RetentionMetrics;
  status: () => HealthStatus;
}

/** Builds the health/metrics HTTP app (never listens: `main.ts` does). */
export function buildApp(options: AppOptions): FastifyInstance {
  // Probes and scrapes every few seconds would drown the run logs.
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.get('/healthz', async () => {
    const { running, nextRun } = options.status();
    return { status: 'ok', running, nextRun: nextRun?.toISOString() ?? null };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  return app;
}
