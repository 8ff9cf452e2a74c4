import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PersistenceMetrics } from '../metrics/persistence-metrics.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface AppDeps {
  logger: Logger;
  metrics: PersistenceMetrics;
  readiness: () => Promise<Readiness>;
}

/** The health and metrics server (built here, listened on by the service). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger });
  // Probes and scrapes every few seconds: log their requests only when something goes wrong.
  const quiet = { logLevel: 'warn' } as const;

  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  app.get('/readyz', quiet, async (_request, reply) => {
    const { ready, checks } = await deps.readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', quiet, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  await app.ready();
  return app;
}
