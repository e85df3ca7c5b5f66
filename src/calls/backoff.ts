export interface BackoffPolicy {
  /** Retries after the first try (0 = none). */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with full jitter (delay uniform in [0, min(max, base·2^n)]):
 * clients that failed together do not come back together (AWS Architecture
 * Blog, "Exponential Backoff And Jitter").
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}
