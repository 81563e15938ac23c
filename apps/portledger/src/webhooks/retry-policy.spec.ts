import { describe, expect, it } from 'vitest';
import { RETRY_POLICY, retryDelayMs, shouldGiveUp } from './retry-policy';

describe('webhook retry policy', () => {
  it('doubles the delay after each failed attempt, starting at one second', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 0.5))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(7, 0.5)).toBe(RETRY_POLICY.capMs);
    expect(retryDelayMs(10_000, 0.5)).toBe(RETRY_POLICY.capMs);
  });

  it('spreads retries by at most ±20 %', () => {
    expect(retryDelayMs(3, 0)).toBe(3200);
    expect(retryDelayMs(3, 0.999999)).toBe(4800);
  });

  it('gives an event up once it is 24 hours old, not before', () => {
    const day = 24 * 3600 * 1000;
    expect(shouldGiveUp(0, day - 1)).toBe(false);
    expect(shouldGiveUp(0, day)).toBe(true);
  });
});
