/**
 * Retry delay after `attempt` failed attempts (1-based): exponential from
 * `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random)
 * so receivers that come back are not hit by every bridge at once, while a
 * retry never comes sooner than half the nominal delay.
 */
export function retryDelayMs(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const nominal = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
