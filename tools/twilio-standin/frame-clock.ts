/**
 * A drift-corrected 20 ms tick. Tick k is due at `origin + k * periodMs`, computed from
 * the absolute start, never by adding intervals: setInterval accumulates its lateness,
 * so 50 ticks would take noticeably longer than 1 s. A phone line delivers 50 frames per
 * second no matter what, so after a stall we catch up by firing every overdue tick.
 */

export type MonotonicClock = () => number;

export const monotonicNow: MonotonicClock = () => performance.now();

export interface FrameClockOptions {
  periodMs: number;
  /** Absolute time (clock units, ms) of tick 0. */
  origin: number;
  clock?: MonotonicClock;
  /** Return false to stop ticking. `dueAt` is the scheduled time of tick `index`. */
  onTick: (index: number, dueAt: number) => boolean;
}

export class FrameClock {
  private index = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = true;
  private readonly clock: MonotonicClock;

  constructor(private readonly opts: FrameClockOptions) {
    this.clock = opts.clock ?? monotonicNow;
    this.schedule();
  }

  get ticks(): number {
    return this.index;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dueAt(index: number): number {
    return this.opts.origin + index * this.opts.periodMs;
  }

  private schedule(): void {
    if (!this.running) return;
    const delay = Math.max(0, this.dueAt(this.index) - this.clock());
    this.timer = setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    // Fire every tick that is due now (normally one; several after an event-loop stall).
    while (this.running && this.dueAt(this.index) <= this.clock() + 0.5) {
      const index = this.index++;
      if (!this.opts.onTick(index, this.dueAt(index))) this.stop();
    }
    this.schedule();
  }
}
