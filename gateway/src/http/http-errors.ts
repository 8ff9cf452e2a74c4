import { isRelayError, RelayError } from '@coorchat/shared';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** JSON body of every HTTP error (and of refused WebSocket upgrades). */
export interface HttpErrorBody {
  code: string;
  message: string;
  retryable: boolean;
  /** The offending parameter as a JSON pointer (`/limit`), when one is to blame. */
  field?: string;
}

/** Answers with a RelayError's status and code; anything else is a 500 that reveals nothing. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const relayError = isRelayError(error) ? error : new RelayError('internal', 'internal error');
  if (relayError.httpStatus === 401) reply.header('www-authenticate', 'Bearer');
  const body: HttpErrorBody = { code: relayError.code, message: relayError.message, retryable: relayError.retryable };
  if (relayError.field !== undefined) body.field = relayError.field;
  return reply.code(relayError.httpStatus).send(body);
}

/** The app's error handler: fastify's own 4xx (bad route input) keep their status, the rest maps as above. */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isRelayError(error)) return sendError(reply, error);
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, error);
  }
  return reply.code(status).send({ code: 'invalid_frame', message: error.message, retryable: false } satisfies HttpErrorBody);
}
