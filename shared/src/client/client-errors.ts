import type { ErrorFrame } from '../protocol/frames.schema.js';
import { isErrorCode } from '../errors/error-codes.js';
import { RelayError } from '../errors/relay-error.js';

/** The gateway refused the WebSocket upgrade (401, 403, 503…); `status` is the HTTP status. */
export class UpgradeRejectedError extends RelayError {
  override readonly name = 'UpgradeRejectedError';
  constructor(
    readonly status: number,
    code: ConstructorParameters<typeof RelayError>[0],
    message: string,
  ) {
    super(code, message);
  }
}

/** The RelayError a client raises for an error frame. */
export function errorFromFrame(frame: ErrorFrame): RelayError {
  return new RelayError(frame.code, frame.message, frame.field === undefined ? undefined : { field: frame.field });
}

/** The error for a refused upgrade, from its status and JSON body ({code, message}). */
export function rejectionFromResponse(status: number, body: string): UpgradeRejectedError {
  let code: unknown;
  let message = `upgrade refused with HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    code = parsed.code;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not our JSON error body (a proxy's page, say): the status alone tells what happened.
  }
  const fallback = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'unavailable';
  return new UpgradeRejectedError(status, isErrorCode(code) ? code : fallback, message);
}
