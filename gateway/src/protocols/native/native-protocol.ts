import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import type { RelayService } from '../../core/relay-service.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';
import type { QueryClient } from '../../queries/query-client.js';
import { admissionHook } from '../websocket-support.js';
import { NativeSession } from './native-session.js';

export interface NativeProtocolOptions {
  relay: RelayService;
  /** Cold queries (the `query` frame). */
  queries: QueryClient;
  metrics: GatewayMetrics;
  /** Authenticates the upgrade request (sets request.principal). */
  authenticate: preValidationHookHandler;
  /** WebSocket path (default /ws). */
  path?: string;
}

/**
 * The native protocol: JSON frames over a WebSocket at /ws (needs registerWebSocketSupport).
 * Authentication and admission run as `preValidation` hooks, i.e. before the upgrade completes, so
 * refusals are plain HTTP answers.
 */
export function registerNativeProtocol(app: FastifyInstance, options: NativeProtocolOptions): void {
  const { relay, queries, metrics } = options;
  app.get(options.path ?? '/ws', { websocket: true, preValidation: [options.authenticate, admissionHook(relay)] }, (socket, request) => {
    const session = new NativeSession(randomUUID(), socket, request.raw.socket, relay, queries, metrics, app.log);
    relay.open(session, request.principal!);
    socket.on('message', (data: Buffer) => session.receive(data));
    socket.once('close', (code: number, reason: Buffer) => {
      void relay.disconnected(session.id, `closed ${code}${reason.length ? ` ${reason.toString('utf8')}` : ''}`);
    });
  });
}
