import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/** `/healthz` (the process serves), `/readyz` (it can do its job), `/metrics` (Prometheus). */
export function healthRoutes(app: FastifyInstance, options: { ready: () => Promise<Record<string, boolean>>; metrics: GatewayMetrics }): void {
  // Probes and scrapes come every few seconds: log their requests only when something goes wrong.
  const quiet = { logLevel: 'warn' } as const;
  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  app.get('/readyz', quiet, async (_request, reply) => {
    const checks = await options.ready();
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', quiet, async (_request, reply) => {
    const registry = options.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
