import type { Clock } from './clock.js';

/**
 * Calls-per-second limiter: `rate` tokens per second, at most `burst` saved
 * up. The dispatcher takes as many tokens as it has room to dial, so calls
 * leave at the provider's CPS instead of piling up in its queue (§3.6).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly clock: Clock,
    private readonly burst = Math.max(1, rate),
  ) {
    if (!(rate > 0)) throw new Error(`calls per second must be positive, got ${rate}`);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Takes up to `n` tokens; returns how many were taken. */
  take(n: number): number {
    const taken = Math.max(0, Math.min(n, this.available()));
    this.tokens -= taken;
    return taken;
  }

  /** Gives back tokens that were taken but not used (fewer rows claimed than hoped). */
  giveBack(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, n));
  }

  /** Milliseconds until one more token exists (0 if one is available). */
  msUntilNext(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.rate);
  }
}
