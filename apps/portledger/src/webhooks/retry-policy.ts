/**
 * When an undelivered webhook event is tried again, and when it is given up.
 *
 * - Backoff: 1 s after the first failed attempt, doubling, capped at 60 s, with ±20 % jitter
 *   (so events that failed together do not retry in lock-step).
 * - "failed": an event still undelivered 24 hours after it was written is given up after its
 *   next failed attempt. It stays listed (status=failed, with its last error) until pruned.
 */
export const RETRY_POLICY = {
  baseMs: 1000,
  capMs: 60_000,
  jitter: 0.2,
  giveUpAfterMs: 24 * 3600 * 1000,
} as const;

export type RetryPolicy = { baseMs: number; capMs: number; jitter: number; giveUpAfterMs: number };

/** Delay before the next attempt, after `attempts` failed ones (≥ 1). `random` in [0, 1). */
export function retryDelayMs(attempts: number, random: number, policy: RetryPolicy = RETRY_POLICY): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(exp * (1 - policy.jitter + 2 * policy.jitter * random));
}

/** True when an event written at `createdAt` has been retried long enough to be given up at `now`. */
export function shouldGiveUp(createdAt: number, now: number, policy: RetryPolicy = RETRY_POLICY): boolean {
  return now - createdAt >= policy.giveUpAfterMs;
}
