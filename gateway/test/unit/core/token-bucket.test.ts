import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/core/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(50)).toBe(false); // half a token
    expect(bucket.take(100)).toBe(true); // one token after 100 ms at 10/s
    expect(bucket.take(100)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const bucket = new TokenBucket(1_000, 2, 0);
    const taken = [0, 1, 2].map(() => bucket.take(60_000));
    expect(taken).toEqual([true, true, false]);
  });
});
