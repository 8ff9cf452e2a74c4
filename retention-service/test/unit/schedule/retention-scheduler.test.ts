import { describe, expect, it } from 'vitest';
import { isCatchUpDue } from '../../../src/schedule/retention-scheduler.js';

describe('isCatchUpDue', () => {
  const now = new Date('2025-06-30T12:00:00.000Z');
  it('is due when no run ever succeeded', () => expect(isCatchUpDue(undefined, now)).toBe(true));
  it('is due when the last success is more than a day old', () =>
    expect(isCatchUpDue(new Date('2025-06-29T11:59:00.000Z'), now)).toBe(true));
  it('is not due within a day', () => expect(isCatchUpDue(new Date('2025-06-29T12:30:00.000Z'), now)).toBe(false));
});
