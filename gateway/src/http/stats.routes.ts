import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import type { RelayService } from '../core/relay-service.js';

/** `GET /api/stats`: this gateway's connections and the cluster's agents, for the caller's channel only. */
export function statsRoutes(app: FastifyInstance, options: { relay: RelayService; authenticate: preValidationHookHandler }): void {
  app.get('/api/stats', { preValidation: options.authenticate }, async (request) => {
    const channel = request.principal!.channel;
    const { localConnections, agents } = options.relay.channelStats(channel);
    return { channel, gatewayId: options.relay.gatewayId, localConnections, agentCount: agents.length, agents };
  });
}
