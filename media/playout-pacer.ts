/**
 * Paces outbound audio to a real-time sink. Items are 20 ms audio frames or
 * zero-length markers (e.g. Twilio marks) that must leave in order with the
 * audio around them.
 *
 * The pacer models the far end's playout: every frame sent extends the
 * estimated end of playback by one frame. It sends while that estimate is
 * less than `leadMs` ahead of now, so the sink never holds more than a few
 * hundred ms (barge-in stays quick) and never runs dry while we have audio.
 * It keeps no timer: the owner calls `pump(now)` from a clock, and right after
 * `enqueue` so a frame that may go now does not wait for the next tick.
 */
export interface PacerItem<T> {
  value: T;
  /** Duration in ms this item occupies in playback (0 for markers). */
  durationMs: number;
}

export interface PacerOptions {
  leadMs: number;
  /** Bounded queue: a phone line cannot be slowed down, so the oldest frames go first. */
  maxQueuedMs: number;
}

export class PlayoutPacer<T> {
  private readonly queue: PacerItem<T>[] = [];
  private head = 0;
  private queuedMs = 0;
  private playEndMs = 0;
  private droppedFrames = 0;

  constructor(private readonly opts: PacerOptions) {}

  enqueue(value: T, durationMs: number): void {
    this.queue.push({ value, durationMs });
    this.queuedMs += durationMs;
    while (this.queuedMs > this.opts.maxQueuedMs && this.dropOldestAudio()) this.droppedFrames++;
  }

  /**
   * `enqueue(value, durationMs)` then `pump(nowMs, send)` for the usual case of
   * an item that finds nothing waiting and is due at once (agent audio arriving
   * in real time): sent without going through the queue. Returns false, having
   * changed nothing, when it must wait; the caller then enqueues it.
   */
  offer(value: T, durationMs: number, nowMs: number, send: (value: T) => void): boolean {
    if (this.head < this.queue.length || durationMs > this.opts.maxQueuedMs) return false;
    const playEnd = Math.max(this.playEndMs, nowMs);
    if (durationMs > 0 && playEnd - nowMs >= this.opts.leadMs) return false;
    this.playEndMs = playEnd + durationMs;
    send(value);
    return true;
  }

  /**
   * Sends every item that is due at `nowMs`, at most `maxFrames` audio items
   * (markers behind them still go); returns how many items were sent.
   */
  pump(nowMs: number, send: (value: T) => void, maxFrames = Infinity): number {
    let sent = 0;
    let frames = 0;
    if (this.playEndMs < nowMs) this.playEndMs = nowMs;
    while (this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      if (item.durationMs > 0 && (this.playEndMs - nowMs >= this.opts.leadMs || frames >= maxFrames)) break;
      if (item.durationMs > 0) frames++;
      this.head++;
      this.queuedMs -= item.durationMs;
      this.playEndMs += item.durationMs;
      sent++;
      send(item.value);
    }
    this.compact();
    return sent;
  }

  /** Drops everything not yet sent and forgets what the sink had queued (after Twilio `clear`). */
  clear(nowMs: number): T[] {
    const dropped = this.queue.slice(this.head).map((i) => i.value);
    this.queue.length = 0;
    this.head = 0;
    this.queuedMs = 0;
    this.playEndMs = nowMs;
    return dropped;
  }

  /** Audio waiting here, not yet sent. */
  get pendingMs(): number {
    return this.queuedMs;
  }

  get pendingItems(): number {
    return this.queue.length - this.head;
  }

  /** Estimated audio sent but not yet played at the far end. */
  aheadMs(nowMs: number): number {
    return Math.max(0, this.playEndMs - nowMs);
  }

  get dropped(): number {
    return this.droppedFrames;
  }

  private dropOldestAudio(): boolean {
    for (let i = this.head; i < this.queue.length; i++) {
      const item = this.queue[i]!;
      if (item.durationMs > 0) {
        this.queue.splice(i, 1);
        this.queuedMs -= item.durationMs;
        return true;
      }
    }
    return false;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 512) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
