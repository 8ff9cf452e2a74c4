export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Cap of the exponential growth. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };

/**
 * Delay before retry number `attempt` (0-based): exponential growth capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so that many clients cut off by the same gateway
 * restart do not reconnect in lockstep, yet none retries immediately.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
