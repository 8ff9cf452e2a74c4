import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** An error with a stable code that every edge (frame, hub, HTTP) maps to its own reply. */
export class RelayError extends Error {
  override readonly name: string = 'RelayError';
  readonly code: ErrorCode;
  /** The offending field as a JSON pointer (`/message/recipientId`), when one is to blame. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

export function isRelayError(error: unknown): error is RelayError {
  return error instanceof RelayError;
}
