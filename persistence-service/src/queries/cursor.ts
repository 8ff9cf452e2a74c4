import { RelayError } from '@coorchat/shared';

/** Keyset position, opaque to clients: base64url of a JSON array of strings. */
export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Decodes a cursor of `arity` strings; anything else is the client's error. */
export function decodeCursor(cursor: string, arity: number): string[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  if (!Array.isArray(parts) || parts.length !== arity || !parts.every((p) => typeof p === 'string' && p.length <= 100)) {
    throw new RelayError('invalid_message', 'cursor is not one this query returned', { field: '/cursor' });
  }
  return parts as string[];
}

/** A cursor part that must be an ISO time. */
export function cursorTime(value: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new RelayError('invalid_message', 'cursor is not one this query returned', { field: '/cursor' });
  }
  return time;
}
