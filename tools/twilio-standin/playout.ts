/**
 * Twilio's playback of what the bridge sends (protocols.md §2.2–2.3):
 * - media is queued and played in order at real-time rate, from when it arrives;
 * - a mark is echoed once all audio queued before it has played, or at once if none is queued;
 * - clear drops unplayed audio and echoes every outstanding mark immediately.
 * Time is in samples at 8 kHz from the stream origin, so contiguous messages abut exactly.
 */
import alawmulaw from 'alawmulaw';

export const SAMPLES_PER_MS = 8;

interface Segment {
  startSample: number;
  ulaw: Uint8Array;
}

interface PendingMark {
  name: string;
  dueSample: number;
}

export interface PlayoutOptions {
  /** Current time in ms since the stream origin. */
  nowMs: () => number;
  /** Called when Twilio would echo a mark; `flushed` when it was released by clear(). */
  onMarkEcho: (name: string, flushed: boolean) => void;
}

export class Playout {
  private readonly segments: Segment[] = [];
  private readonly marks: PendingMark[] = [];
  private queueEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  private endedAt: number | undefined;

  constructor(private readonly opts: PlayoutOptions) {}

  private nowSample(): number {
    return Math.round(this.opts.nowMs() * SAMPLES_PER_MS);
  }

  /** Queues audio; returns the sample at which it starts playing. */
  enqueue(ulaw: Uint8Array): number {
    if (this.endedAt !== undefined || ulaw.byteLength === 0) return this.queueEnd;
    const start = Math.max(this.nowSample(), this.queueEnd);
    this.segments.push({ startSample: start, ulaw });
    this.queueEnd = start + ulaw.byteLength;
    return start;
  }

  mark(name: string): void {
    if (this.endedAt !== undefined) return;
    if (this.queueEnd <= this.nowSample()) {
      this.opts.onMarkEcho(name, false);
      return;
    }
    this.marks.push({ name, dueSample: this.queueEnd });
    this.arm();
  }

  /** Drops unplayed audio; every pending mark is echoed now (§2.3). Returns samples dropped. */
  clear(): number {
    if (this.endedAt !== undefined) return 0;
    const dropped = this.cutAt(this.nowSample());
    this.disarm();
    for (const m of this.marks.splice(0)) this.opts.onMarkEcho(m.name, true);
    return dropped;
  }

  /** The stream is gone: nothing more plays and no mark will be echoed. */
  end(): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.nowSample();
    this.cutAt(this.endedAt);
    this.disarm();
    this.marks.length = 0;
  }

  /** Queued audio not yet played, in ms. */
  get queuedMs(): number {
    return Math.max(0, this.queueEnd - this.nowSample()) / SAMPLES_PER_MS;
  }

  get pendingMarks(): string[] {
    return this.marks.map((m) => m.name);
  }

  /**
   * Drops audio that has finished playing (long runs, e.g. a benchmark soak,
   * must not keep every byte): `heard()` then shows silence where it was.
   */
  forgetPlayed(): void {
    const now = this.nowSample();
    let n = 0;
    while (n < this.segments.length && this.segments[n]!.startSample + this.segments[n]!.ulaw.byteLength <= now) n++;
    this.segments.splice(0, n);
  }

  /** What the caller heard from the origin until now (or the end): PCM16 8 kHz, silence where nothing played. */
  heard(): Int16Array {
    const until = this.endedAt ?? this.nowSample();
    const out = new Int16Array(Math.max(0, until));
    for (const seg of this.segments) {
      if (seg.startSample >= until) break;
      const n = Math.min(seg.ulaw.byteLength, until - seg.startSample);
      out.set(alawmulaw.mulaw.decode(seg.ulaw.subarray(0, n)), seg.startSample);
    }
    return out;
  }

  private cutAt(sample: number): number {
    let dropped = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const seg = this.segments[i]!;
      const played = Math.max(0, sample - seg.startSample);
      if (played >= seg.ulaw.byteLength) break;
      dropped += seg.ulaw.byteLength - played;
      if (played === 0) this.segments.splice(i, 1);
      else seg.ulaw = seg.ulaw.subarray(0, played);
    }
    this.queueEnd = Math.min(this.queueEnd, Math.max(sample, 0));
    return dropped;
  }

  private arm(): void {
    if (this.timer || this.marks.length === 0) return;
    const dueMs = this.marks[0]!.dueSample / SAMPLES_PER_MS;
    this.timer = setTimeout(() => this.fireDue(), Math.max(0, dueMs - this.opts.nowMs()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fireDue(): void {
    this.timer = undefined;
    const now = this.nowSample();
    while (this.marks.length > 0 && this.marks[0]!.dueSample <= now) {
      this.opts.onMarkEcho(this.marks.shift()!.name, false);
    }
    this.arm();
  }
}
