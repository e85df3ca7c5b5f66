import { HeardTrack } from './heard-track.js';

/** Caller frames this late are given up for silence (a leg with silence suppression still advances). */
const CALLER_GRACE_MS = 2000;
/** Caller frames handled this late mean the way from the caller (or this process) was held up... */
const STALE_LATE_MS = 60;
/** ...for whatever else was handled this close to them (the same burst). */
const STALE_NEAR_MS = 10;

/** One leg payload (20 ms) to PCM16 at the timeline's rate; stateful for ADPCM codecs. */
export type FrameDecoder = (frame: Uint8Array) => Int16Array;

/**
 * The two sides of a call on one timeline (samples since the recording's
 * origin, at the leg's rate), as interleaved stereo PCM16: the caller on the
 * left, what the caller heard on the right (HeardTrack).
 *
 * Left: caller frames in order; when they stop for longer than a grace
 * period (silence suppression, hold) the gap is silence and later frames
 * continue at the current time. The origin is when caller frame 0 was sent,
 * on `nowMs`'s clock: the earliest origin any caller frame implies (arrival
 * minus position). Frames delayed on the way imply later origins and are
 * ignored; so are the ones that arrive in a burst before the call object
 * exists.
 *
 * Samples are emitted once both channels are final up to a point. Pause
 * spans are silent on both channels; the timeline keeps its length. Pure:
 * the clock is injected, the caller writes the bytes.
 */
export class StereoTimeline {
  private readonly heard: HeardTrack;
  private readonly perMs: number;
  private readonly caller: Int16Array[] = [];
  private callerOffset = 0;
  /** Position of the next caller sample to arrive. */
  private callerPos = 0;
  private originMs: number;
  private readonly pauses: Array<{ from: number; to: number }> = [];
  /** Positions at which caller frames were handled late (bursts after a stall), recent ones only. */
  private readonly lateAt: number[] = [];
  /** The least lag of caller frames behind the timeline since it last skipped silence (0 from the origin on). */
  private lagBase = 0;
  /** Samples per channel emitted so far. */
  emitted = 0;

  constructor(
    private readonly decodeCaller: FrameDecoder,
    private readonly decodeHeard: FrameDecoder,
    rate: number,
    private readonly nowMs: () => number,
  ) {
    this.perMs = rate / 1000;
    this.heard = new HeardTrack(rate, (at) => this.stale(at));
    this.originMs = nowMs();
  }

  private at(ms: number): number {
    return Math.floor((ms - this.originMs) * this.perMs);
  }

  /** The current position on the timeline (what is being said and heard now). */
  get position(): number {
    return this.at(this.nowMs());
  }

  /** Audio that went on the wire to the caller at `atMs`; `probe`: the leg will report when it has played. */
  sent(frame: Uint8Array, atMs: number, probe?: number): void {
    this.heard.sent(this.decodeHeard(frame), this.at(atMs), probe);
  }

  played(probe: number): void {
    this.heard.played(probe, this.position);
  }

  /** Barge-in: what the far end had not played will never be heard. */
  clear(): void {
    this.heard.cleared(this.position);
  }

  /** From now on both channels are silent (paused) or recorded again. */
  setPaused(paused: boolean): void {
    const now = this.position;
    const open = this.pauses[this.pauses.length - 1];
    if (paused && !(open && open.to === Infinity)) this.pauses.push({ from: now, to: Infinity });
    if (!paused && open && open.to === Infinity) open.to = now;
  }

  /** One caller frame; returns the stereo bytes now final (possibly none). */
  tick(frame: Uint8Array): Buffer {
    this.originMs = Math.min(this.originMs, this.nowMs() - this.callerPos / this.perMs);
    const now = this.position;
    this.lagBase = Math.min(this.lagBase, now - this.callerPos);
    if (now - this.callerPos - this.lagBase > STALE_LATE_MS * this.perMs) this.lateAt.push(now);
    while (this.lateAt.length && this.lateAt[0]! < this.emitted - CALLER_GRACE_MS * this.perMs) this.lateAt.shift();
    const samples = this.decodeCaller(frame);
    this.caller.push(samples);
    this.callerPos += samples.length;
    return this.emit(Math.min(this.callerPos, now, this.heard.limit(now, this.emitted)));
  }

  private stale(at: number): boolean {
    const near = STALE_NEAR_MS * this.perMs;
    return this.lateAt.some((t) => Math.abs(t - at) <= near);
  }

  /** Periodic: emits what is final even without caller frames. */
  flush(): Buffer {
    const now = this.position;
    const caller = Math.max(Math.min(this.callerPos, now), now - CALLER_GRACE_MS * this.perMs);
    return this.emit(Math.min(caller, this.heard.limit(now, this.emitted)));
  }

  /** The call ended: everything up to now; heard audio beyond it was never played. */
  finish(): Buffer {
    const now = this.position;
    this.heard.end(now);
    return this.emit(Math.max(this.callerPos, now));
  }

  private emit(upTo: number): Buffer {
    const from = this.emitted;
    const n = upTo - from;
    if (n <= 0) return Buffer.alloc(0);
    const out = Buffer.alloc(n * 4);
    this.fillCaller(out, n);
    this.heard.render(from, upTo, (p, v) => out.writeInt16LE(v, (p - from) * 4 + 2));
    const clip = (p: number): number => Math.max(0, Math.min(n, p - from)) * 4;
    for (const pause of this.pauses) out.fill(0, clip(pause.from), clip(pause.to));
    while (this.pauses.length && this.pauses[0]!.to <= upTo) this.pauses.shift();
    this.emitted = upTo;
    // Caller frames missing up to here are silence; later ones continue from now on.
    if (this.callerPos < upTo) {
      this.callerPos = upTo;
      this.lagBase = Infinity;
    }
    return out;
  }

  private fillCaller(out: Buffer, n: number): void {
    let i = 0;
    const available = Math.min(n, this.callerPos - this.emitted);
    while (i < available && this.caller.length) {
      const chunk = this.caller[0]!;
      const take = Math.min(available - i, chunk.length - this.callerOffset);
      for (let k = 0; k < take; k++) out.writeInt16LE(chunk[this.callerOffset + k]!, (i + k) * 4);
      i += take;
      this.callerOffset += take;
      if (this.callerOffset >= chunk.length) {
        this.caller.shift();
        this.callerOffset = 0;
      }
    }
  }
}
