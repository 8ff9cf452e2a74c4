import { randomUUID } from 'node:crypto';
import { RelayError } from '@coorchat/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import { assertMayRegister } from '../../core/principal.js';
import type { RelayService } from '../../core/relay-service.js';
import { sendError } from '../../http/http-errors.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';
import type { QueryClient } from '../../queries/query-client.js';
import { admissionHook } from '../websocket-support.js';
import { CONNECTION_TOKEN_TTL_MS, ConnectionTokenStore, samePrincipal } from './connection-tokens.js';
import { HubSession } from './hub-session.js';
import { parseHubUrlOptions, type HubUrlOptions } from './hub-url-options.js';
import { KeepAlive, KEEP_ALIVE_INTERVAL_MS } from './keep-alive.js';

export interface SignalRProtocolOptions {
  relay: RelayService;
  queries: QueryClient;
  metrics: GatewayMetrics;
  /** Authenticates the negotiate request and the upgrade (sets request.principal). */
  authenticate: preValidationHookHandler;
  /** The frame size limit (MAX_FRAME_BYTES), also the bound of a record split over frames. */
  maxFrameBytes: number;
  /** Negotiated tokens waiting for their upgrade at most (MAX_CONNECTIONS). */
  maxPendingConnections: number;
  /** Hub path (default /agentHub, the old relay's). */
  path?: string;
  keepAliveIntervalMs?: number;
  connectionTokenTtlMs?: number;
}

/** The only transport offered: WebSockets with text frames (the JSON protocol). */
const AVAILABLE_TRANSPORTS = [{ transport: 'WebSockets', transferFormats: ['Text'] }] as const;

export interface NegotiateResponse {
  connectionId: string;
  connectionToken: string;
  negotiateVersion: 1;
  availableTransports: typeof AVAILABLE_TRANSPORTS;
}

function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The URL's compatibility options, valid and allowed for the caller; throws RelayError (400/403). */
function urlOptions(request: FastifyRequest): HubUrlOptions {
  const options = parseHubUrlOptions(request.query as Record<string, unknown> | null | undefined);
  // Refused before the upgrade rather than by a registration failing after the handshake.
  if (options.registration) assertMayRegister(request.principal!, options.registration.agentId, options.registration.role);
  return options;
}

/**
 * The ASP.NET Core SignalR hub protocol (JSON over WebSockets) beside the native one, on the same
 * relay: `POST <path>/negotiate` hands out a one-time connection token bound to the caller's
 * principal and the URL's compatibility options; the WebSocket at `<path>?id=<token>` (or without
 * `id`, for clients that skip negotiation, with the options of its own URL) is authenticated,
 * checked against the token and admitted before the upgrade. Needs registerWebSocketSupport.
 */
export function registerSignalRProtocol(app: FastifyInstance, options: SignalRProtocolOptions): void {
  const { relay, queries, metrics, authenticate } = options;
  const path = options.path ?? '/agentHub';
  const tokens = new ConnectionTokenStore({ ttlMs: options.connectionTokenTtlMs ?? CONNECTION_TOKEN_TTL_MS, maxPending: options.maxPendingConnections });
  const keepAlive = new KeepAlive(options.keepAliveIntervalMs ?? KEEP_ALIVE_INTERVAL_MS);
  /** What each accepted upgrade request becomes: its connection id and options. */
  const accepted = new WeakMap<FastifyRequest, { connectionId: string; options: HubUrlOptions }>();
  keepAlive.start();
  app.addHook('onClose', async () => keepAlive.stop());

  void app.register(async (scope) => {
    // The negotiate body means nothing (clients send none, or an empty one with any content type):
    // never parse it, so an empty `application/json` body is no 400.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.post(`${path}/negotiate`, { preValidation: [authenticate] }, async (request, reply) => {
      const connectionId = randomUUID();
      let connectionToken: string;
      try {
        connectionToken = tokens.issue({ connectionId, principal: request.principal!, options: urlOptions(request) });
      } catch (error) {
        return sendError(reply, error);
      }
      // Every client since ASP.NET Core 3.0 asks for version 1; older ones are not supported.
      const body: NegotiateResponse = { connectionId, connectionToken, negotiateVersion: 1, availableTransports: AVAILABLE_TRANSPORTS };
      return reply.header('cache-control', 'no-store').send(body);
    });
  });

  /**
   * Before the upgrade: the URL's options must be valid; a connection token must be known, unused,
   * unexpired, and the caller's own — its negotiated options then hold.
   */
  async function acceptConnection(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    let options: HubUrlOptions;
    try {
      options = urlOptions(request);
    } catch (error) {
      return sendError(reply, error);
    }
    const token = queryString(request, 'id');
    if (token === undefined) {
      accepted.set(request, { connectionId: randomUUID(), options });
      return undefined;
    }
    const connection = tokens.take(token);
    if (!connection) return sendError(reply, new RelayError('not_found', 'unknown, expired or already used connection token; negotiate again'));
    if (!samePrincipal(connection.principal, request.principal!)) {
      return sendError(reply, new RelayError('forbidden', 'the connection token was negotiated with other credentials'));
    }
    accepted.set(request, { connectionId: connection.connectionId, options: connection.options });
    return undefined;
  }

  const deps = { relay, queries, metrics, keepAlive, log: app.log, maxRecordChars: options.maxFrameBytes };
  app.get(path, { websocket: true, preValidation: [authenticate, acceptConnection, admissionHook(relay)] }, (socket, request) => {
    const { connectionId, options } = accepted.get(request)!;
    const session = new HubSession(connectionId, socket, request.raw.socket, deps, options);
    relay.open(session, request.principal!);
    keepAlive.add(session);
    socket.on('message', (data: Buffer, isBinary: boolean) => session.receive(data, isBinary));
    socket.once('close', (code: number, reason: Buffer) => {
      keepAlive.delete(session);
      session.closed();
      void relay.disconnected(session.id, `closed ${code}${reason.length ? ` ${reason.toString('utf8')}` : ''}`);
    });
  });
}
