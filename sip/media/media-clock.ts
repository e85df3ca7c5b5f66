/**
 * One 20 ms tick shared by every RTP session (hundreds of calls would
 * otherwise mean one timer each). Drift-corrected: tick k is scheduled for
 * start + k·period, not "period after the last one ran", so lateness does not
 * accumulate; after a stall longer than a period the clock skips to the next
 * future tick (sessions keep their own send/receive schedules and catch up or
 * skip from there). The timer exists only while a session is registered, and
 * is unref'd so it never keeps the process alive.
 */
import { performance } from 'node:perf_hooks';

export type TickFn = (nowMs: number) => void;

export class MediaClock {
  private readonly tasks = new Set<TickFn>();
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private k = 0;

  constructor(readonly periodMs = 20, private readonly now: () => number = () => performance.now()) {}

  add(fn: TickFn): void {
    this.tasks.add(fn);
    if (!this.timer) {
      this.startMs = this.now();
      this.k = 0;
      this.schedule();
    }
  }

  remove(fn: TickFn): void {
    this.tasks.delete(fn);
    if (this.tasks.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.tasks.size;
  }

  /** True while a timer is pending (for leak checks in tests). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  private schedule(): void {
    const now = this.now();
    this.k++;
    let due = this.startMs + this.k * this.periodMs;
    if (due < now) {
      this.k = Math.ceil((now - this.startMs) / this.periodMs);
      due = this.startMs + this.k * this.periodMs;
    }
    this.timer = setTimeout(this.tick, Math.max(0, due - now));
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const now = this.now();
    for (const fn of this.tasks) fn(now);
    if (this.tasks.size > 0 && !this.timer) this.schedule();
  };
}

/** The process-wide clock sessions use unless given another. */
export const sharedMediaClock = new MediaClock();
