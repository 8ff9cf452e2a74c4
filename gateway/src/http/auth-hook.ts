import type { FastifyReply, FastifyRequest } from 'fastify';
import { extractCredentials, type Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../core/principal.js';
import { sendError } from './http-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on authenticated routes (the WebSocket upgrade, /api/stats). */
    principal: Principal | null;
  }
}

/**
 * A `preValidation` hook that authenticates the request (token from the Authorization header or
 * `access_token`); on a WebSocket route it runs before the upgrade, so a refusal is a plain 401/403.
 */
export function authHook(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    try {
      request.principal = await authenticator.authenticate(extractCredentials(request.headers, request.query));
      return undefined;
    } catch (error) {
      // Returning the sent reply stops the chain: no upgrade, no handler.
      return sendError(reply, error);
    }
  };
}
