import { performance } from 'node:perf_hooks';
import { ErrorCode as NatsErrorCode, NatsError, type NatsConnection } from 'nats';
import {
  ERROR_CODES,
  isErrorCode,
  isRelayError,
  RelayError,
  validateQueryReply,
  validateQueryRequest,
  type QueryError,
  type QueryName,
  type QueryParams,
  type QueryRequest,
  type QueryResult,
  type StoredMessage,
  type Subjects,
} from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

export interface QueryClientOptions {
  nc: NatsConnection;
  subjects: Subjects;
  /** Wait for one reply before a retryable `timeout` (QUERY_TIMEOUT_MS). */
  timeoutMs: number;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
}

/** What clients see instead of a 5xx-class reply's own text (which never leaves the gateway). */
const SERVER_ERROR_MESSAGES: Partial<Record<keyof typeof ERROR_CODES, string>> = {
  unavailable: 'the history store is unavailable; retry later',
  timeout: 'the history store did not answer in time; retry later',
};

/**
 * The gateway's side of the cold queries: NATS request/reply to the persistence service on
 * `subjects.query(name)`. Every protocol adapter (native frames, HTTP, SignalR) goes through here, so
 * the rules live once: the channel comes from the authenticated principal and never from input,
 * params and replies are validated at this edge, and every failure is a RelayError.
 */
export class QueryClient {
  constructor(private readonly options: QueryClientOptions) {}

  /**
   * Runs query `name` for `principalChannel`. `params` is the request without `channel` (untrusted
   * input is fine: it is validated here). Throws RelayError: `invalid_frame` with `field` (a JSON
   * pointer into `params`) for bad params, including any `channel`; `not_found` (task);
   * `unavailable` when no persistence service answers or storage is down; `timeout`; `internal`.
   */
  async query<N extends QueryName>(
    name: N,
    principalChannel: string,
    params: QueryParams<N> | Readonly<Record<string, unknown>>,
  ): Promise<QueryResult<N>> {
    const request = requestOf(name, principalChannel, params);
    const started = performance.now();
    let outcome = 'ok';
    try {
      const reply = await this.options.nc.request(this.options.subjects.query(name), JSON.stringify(request), {
        timeout: this.options.timeoutMs,
      });
      return this.readReply(name, principalChannel, reply.data);
    } catch (error) {
      const relayError = this.toRelayError(name, error);
      outcome = relayError.code;
      throw relayError;
    } finally {
      this.options.metrics.queryDuration(name, outcome, (performance.now() - started) / 1_000);
    }
  }

  private readReply<N extends QueryName>(name: N, channel: string, data: Uint8Array): QueryResult<N> {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch (error) {
      throw this.internal(name, 'query reply is not JSON', error);
    }
    const reply = validateQueryReply(name, body);
    if (!reply.ok) throw this.internal(name, `query reply does not match its schema: ${reply.message}`);
    if (!reply.value.ok) throw this.fromQueryError(name, reply.value.error);
    const result = reply.value.data;
    // Defence in depth: the responder filters by channel; a row of another channel is a bug to stop here.
    const messages = (result as { messages?: StoredMessage[] }).messages ?? [];
    if (messages.some((m) => m.channel !== channel)) throw this.internal(name, 'query reply holds another channel\'s messages');
    return result;
  }

  private fromQueryError(name: QueryName, error: QueryError): RelayError {
    if (!isErrorCode(error.code)) return this.internal(name, `query reply with unknown error code ${String(error.code)}`);
    const { code } = error;
    if (ERROR_CODES[code].httpStatus >= 500) {
      return new RelayError(code, SERVER_ERROR_MESSAGES[code] ?? 'internal error');
    }
    // The responder calls an unusable param (a foreign cursor) `invalid_message`; to clients it is a bad param.
    const clientCode = code === 'invalid_message' || code === 'invalid_json' ? 'invalid_frame' : code;
    return new RelayError(clientCode, error.message, error.field === undefined ? undefined : { field: error.field });
  }

  private toRelayError(name: QueryName, error: unknown): RelayError {
    if (isRelayError(error)) return error;
    if (error instanceof NatsError) {
      switch (error.code) {
        case NatsErrorCode.NoResponders:
          return new RelayError('unavailable', 'no history store is answering queries; retry later');
        case NatsErrorCode.Timeout:
          return new RelayError('timeout', `no answer to the ${name} query within ${this.options.timeoutMs} ms; retry later`);
        case NatsErrorCode.ConnectionClosed:
        case NatsErrorCode.ConnectionDraining:
        case NatsErrorCode.Disconnect:
          return new RelayError('unavailable', 'the gateway is not connected to the bus; retry later');
      }
    }
    return this.internal(name, 'query failed', error);
  }

  private internal(name: QueryName, what: string, cause?: unknown): RelayError {
    this.options.log.error({ err: cause, query: name }, what);
    return new RelayError('internal', 'internal error', { cause });
  }
}

/** The request as sent: validated params plus the principal's channel. */
function requestOf<N extends QueryName>(name: N, channel: string, params: unknown): QueryRequest<N> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new RelayError('invalid_frame', 'query params must be an object', { field: '/' });
  }
  if (Object.hasOwn(params, 'channel')) {
    throw new RelayError('invalid_frame', '/channel is not allowed: queries always read the channel of your token', {
      field: '/channel',
    });
  }
  const result = validateQueryRequest(name, { ...params, channel });
  if (!result.ok) throw new RelayError('invalid_frame', result.message, { field: result.field });
  return result.value;
}

/**
 * A query error whose `field` is relative to `params`, re-rooted where the adapter carries them
 * (`/params` in a native frame); other errors pass unchanged.
 */
export function underField(error: unknown, prefix: string): unknown {
  if (!isRelayError(error) || error.field === undefined) return error;
  const field = error.field === '/' ? prefix : `${prefix}${error.field}`;
  const message = error.message.startsWith(error.field) ? `${field}${error.message.slice(error.field.length)}` : error.message;
  return new RelayError(error.code, message, { field, cause: error.cause });
}
