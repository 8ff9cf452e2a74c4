/**
 * A token bucket: holds up to `burst` tokens, refilled at `ratePerSec`; each frame takes one.
 * Time comes from the caller (a monotonic clock in milliseconds) so tests need no timers.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    const elapsedMs = now - this.refilledAt;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1_000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
