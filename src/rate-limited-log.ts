import type { Logger } from './logger.js';

/**
 * Logs the first occurrence of a problem at once, then at most once per
 * interval with the count of occurrences in between: bad input on a media
 * stream arrives 50 times a second and must never become a log flood.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly log: Logger, private readonly intervalMs = 10_000) {}

  warn(key: string, fields: Record<string, unknown>, msg: string, now = Date.now()): void {
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.log.warn({ ...fields, suppressed: entry?.suppressed ?? 0 }, msg);
    this.last.set(key, { at: now, suppressed: 0 });
  }
}
