import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayService } from '../core/relay-service.js';
import { sendError } from '../http/http-errors.js';

/**
 * Registers @fastify/websocket once for every protocol adapter (native frames at /ws, SignalR at
 * /agentHub): frame size limit, no permessage-deflate, and no plugin-managed shutdown.
 */
export async function registerWebSocketSupport(app: FastifyInstance, options: { maxFrameBytes: number }): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: options.maxFrameBytes, perMessageDeflate: false, clientTracking: false },
    // The relay closes every connection at shutdown (app preClose); the plugin's default preClose
    // would also call its callback twice.
    preClose: (done) => done(),
    errorHandler: (error, socket, request) => {
      request.log.warn({ err: error }, 'WebSocket error');
      socket.terminate();
    },
  });
}

/**
 * A `preValidation` hook (after authentication) that takes a connection slot for the upgrade, or
 * answers 503; the slot is freed when the TCP socket closes, whatever happens in between.
 */
export function admissionHook(relay: RelayService) {
  return async function admit(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    try {
      relay.reserveConnection();
    } catch (error) {
      return sendError(reply, error);
    }
    request.raw.socket.once('close', () => relay.releaseConnection());
    return undefined;
  };
}
