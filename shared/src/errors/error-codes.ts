/**
 * Stable error codes shared by every protocol (native frames, SignalR, HTTP) and service.
 * `retryable` tells a client whether sending the same request again may succeed.
 */
export const ERROR_CODES = {
  invalid_json: { retryable: false, httpStatus: 400 },
  invalid_frame: { retryable: false, httpStatus: 400 },
  invalid_message: { retryable: false, httpStatus: 400 },
  not_registered: { retryable: false, httpStatus: 409 },
  already_registered: { retryable: false, httpStatus: 409 },
  sender_mismatch: { retryable: false, httpStatus: 403 },
  unauthorized: { retryable: false, httpStatus: 401 },
  forbidden: { retryable: false, httpStatus: 403 },
  not_found: { retryable: false, httpStatus: 404 },
  recipient_not_found: { retryable: false, httpStatus: 404 },
  task_unavailable: { retryable: false, httpStatus: 409 },
  rate_limited: { retryable: true, httpStatus: 429 },
  too_many_connections: { retryable: true, httpStatus: 503 },
  publish_failed: { retryable: true, httpStatus: 503 },
  unavailable: { retryable: true, httpStatus: 503 },
  timeout: { retryable: true, httpStatus: 504 },
  internal: { retryable: true, httpStatus: 500 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** WebSocket close codes the gateway uses; documented in the README. */
export const CLOSE_CODES = {
  normal: 1000,
  /** Gateway shutting down or restarting: reconnect (to another instance) with backoff. */
  reconnect: 1012,
  policyViolation: 1008,
  /** A frame larger than the configured maximum. */
  frameTooLarge: 1009,
  internalError: 1011,
  /** No frame (or heartbeat) within the heartbeat timeout. */
  heartbeatTimeout: 4000,
  /** The client reads too slowly: the gateway's send buffer for it passed its bound. */
  slowConsumer: 4001,
  /** The same agent id registered on a newer connection. */
  replaced: 4002,
} as const;
