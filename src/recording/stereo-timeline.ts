import { g711Decoder, type G711Law } from '../../media/g711.js';

const RATE_PER_MS = 8;
/** Agent audio scheduled further ahead than this (2 min) is dropped, oldest first. */
const MAX_SEGMENTS = 6000;
/** Caller frames this late are given up for silence (a leg with silence suppression still advances). */
const CALLER_GRACE_MS = 2000;
/** Caller frames that set the timeline's origin (the first second). */
const ORIGIN_WINDOW_SAMPLES = 8000;

interface Segment {
  start: number;
  samples: Int16Array;
}

/**
 * The two sides of a call on one timeline (samples at 8 kHz since the
 * recording began), as interleaved stereo PCM16: the caller on the left,
 * what the caller heard on the right.
 *
 * Right: the provider's playout model (Twilio Media Streams §2.2-2.3, our
 * RTP pacer likewise): audio plays in order at real-time rate from when it
 * is queued, and `clear()` (barge-in) drops what had not played yet, so the
 * channel is cut where the caller cut in. Left: caller frames in order; when
 * they stop for longer than a grace period (silence suppression, hold) the
 * gap is silence and later frames continue at the current time.
 *
 * Samples are emitted once both channels are final up to a point. Pure: the
 * clock is injected, the caller writes the bytes.
 */
export class StereoTimeline {
  private readonly decode: (src: Uint8Array, dst: Int16Array, count?: number) => void;
  private readonly caller: Int16Array[] = [];
  private callerOffset = 0;
  /** Position of the next caller sample to arrive. */
  private callerPos = 0;
  private readonly heard: Segment[] = [];
  private heardEnd = 0;
  private paused = false;
  /** Samples per channel emitted so far. */
  emitted = 0;

  constructor(law: G711Law, private readonly nowMs: () => number) {
    this.decode = g711Decoder(law);
  }

  /**
   * When caller frame 0 was sent, on `nowMs`'s clock: the earliest origin
   * the first second of caller frames implies (arrival minus position). The
   * provider starts sending before the call object exists (those frames
   * arrive in a burst); late frames imply later origins and are ignored.
   */
  private originMs = 0;

  private nowSample(): number {
    return Math.floor((this.nowMs() - this.originMs) * RATE_PER_MS);
  }

  /** Audio sent to the caller (agent or bridge prompt), as the leg puts it on the wire (or queues it). */
  queued(frame: Uint8Array): void {
    const samples = new Int16Array(frame.length);
    this.decode(frame, samples, frame.length);
    const start = Math.max(this.nowSample(), this.heardEnd, this.emitted);
    this.heard.push({ start, samples });
    this.heardEnd = start + samples.length;
    if (this.heard.length > MAX_SEGMENTS) this.heard.shift();
  }

  /** Barge-in: what was not played by now will never be heard. */
  clear(): void {
    const now = Math.max(this.nowSample(), this.emitted);
    while (this.heard.length && this.heard[this.heard.length - 1]!.start >= now) this.heard.pop();
    const last = this.heard[this.heard.length - 1];
    if (last && last.start + last.samples.length > now) last.samples = last.samples.subarray(0, now - last.start);
    this.heardEnd = Math.min(this.heardEnd, now);
  }

  /** Samples emitted while paused are silent on both channels; the timeline keeps its length. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** One caller frame; returns the stereo bytes now final (possibly none). */
  tick(frame: Uint8Array): Buffer {
    if (this.callerPos < ORIGIN_WINDOW_SAMPLES) this.originMs = Math.min(this.originMs, this.nowMs() - this.callerPos / RATE_PER_MS);
    const samples = new Int16Array(frame.length);
    this.decode(frame, samples, frame.length);
    this.caller.push(samples);
    this.callerPos += samples.length;
    return this.emit(Math.min(this.callerPos, this.nowSample()));
  }

  /** Periodic: emits what is final even without caller frames. */
  flush(): Buffer {
    return this.emit(this.nowSample() - CALLER_GRACE_MS * RATE_PER_MS);
  }

  /** The call ended: everything the caller sent; heard audio beyond that was never played. */
  finish(): Buffer {
    return this.emit(Math.max(this.callerPos, Math.min(this.nowSample(), this.heardEnd)));
  }

  private emit(upTo: number): Buffer {
    const n = upTo - this.emitted;
    if (n <= 0) return Buffer.alloc(0);
    const out = Buffer.alloc(n * 4);
    if (!this.paused) {
      this.fillCaller(out, n);
      this.fillHeard(out, n);
    } else {
      this.skipCaller(n);
      this.skipHeard(upTo);
    }
    this.emitted = upTo;
    // Caller frames missing up to here are silence; later ones continue from now on.
    if (this.callerPos < upTo) this.callerPos = upTo;
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
      this.advanceCaller(take);
    }
  }

  private skipCaller(n: number): void {
    let left = Math.min(n, this.callerPos - this.emitted);
    while (left > 0 && this.caller.length) {
      const take = Math.min(left, this.caller[0]!.length - this.callerOffset);
      this.advanceCaller(take);
      left -= take;
    }
  }

  private advanceCaller(k: number): void {
    this.callerOffset += k;
    if (this.callerOffset >= this.caller[0]!.length) {
      this.caller.shift();
      this.callerOffset = 0;
    }
  }

  private fillHeard(out: Buffer, n: number): void {
    const from = this.emitted;
    const to = from + n;
    for (const seg of this.heard) {
      if (seg.start >= to) break;
      const a = Math.max(from, seg.start);
      const b = Math.min(to, seg.start + seg.samples.length);
      for (let p = a; p < b; p++) out.writeInt16LE(seg.samples[p - seg.start]!, (p - from) * 4 + 2);
    }
    this.skipHeard(to);
  }

  private skipHeard(upTo: number): void {
    while (this.heard.length && this.heard[0]!.start + this.heard[0]!.samples.length <= upTo) this.heard.shift();
  }
}
