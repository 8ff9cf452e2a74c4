/**
 * True when PostgreSQL refused the data itself (SQLSTATE class 22 data exception, 23 integrity
 * violation other than a unique race, 54 program limit such as an oversized row): retrying the same
 * event can never succeed, unlike a lost connection, a timeout, a deadlock or a serialization failure.
 */
export function isRejectedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  if (code === '23505') return false;
  return code.startsWith('22') || code.startsWith('23') || code.startsWith('54');
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** True when the database could not be reached (connection refused/lost, pool timeout, shutdown). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    e.name === 'KnexTimeoutError' ||
    e.name === 'ConnectionException' ||
    (typeof e.message === 'string' && /connection terminated|timeout exceeded when trying to connect/i.test(e.message))
  );
}

/** Deadlock, serialization failure or a unique race with another replica: retrying at once is right. */
export function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === '23505';
}
