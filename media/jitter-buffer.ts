/**
 * Receive jitter buffer for G.711 RTP: packets go in as they arrive, exactly
 * one 20 ms frame comes out per playout tick, in sequence order, with loss
 * concealment. Pure: the owner calls `push` on each packet and `pop` from its
 * clock.
 *
 * Placement is by RTP timestamp into a sample ring (RFC 3550 §5.1: the
 * timestamp is the sampling instant of the first octet), so reordering is
 * undone for free and packets of any ptime (10/20/30 ms) land where they
 * belong. Duplicates are found by 16-bit sequence number with wrap (A.1).
 *
 * Delay is bounded: playout starts `delayFrames` ticks after the first packet
 * (the cushion that absorbs jitter) and never runs more than `maxDelayFrames`
 * behind the newest packet (older audio is skipped). If the buffer runs dry it
 * re-buffers: the next packet restarts playout with a fresh cushion, so a
 * peer pausing (DTX) or a slow peer clock never turns into a stream of late
 * packets.
 *
 * Concealment (a simple form of ITU-T G.711 Appendix I's idea): the first
 * missing frame repeats the last good frame at −6 dB, further ones are silence.
 */
import { g711Decoder, g711Encoder, g711Silence, type G711Law } from './g711.js';
import { seqDelta, tsDelta } from './rtp-packet.js';

export interface JitterBufferOptions {
  law: G711Law;
  /** Cushion before playout, in frames (default 3 = 60 ms). */
  delayFrames?: number;
  /** Newest audio is never more than this many frames ahead of playout (default delay + 5). */
  maxDelayFrames?: number;
  /** Samples per frame (default 160 = 20 ms at 8 kHz). */
  frameSamples?: number;
}

export type PushResult = 'ok' | 'duplicate' | 'late' | 'reset';
/**
 * audio: real frame; concealed: a frame was missing mid-stream; silence: the
 * stream paused (buffer ran dry, or re-buffering after it); idle: no packet
 * yet, nothing written.
 */
export type PopResult = 'audio' | 'concealed' | 'silence' | 'idle';

export interface JitterBufferStats {
  received: number;
  duplicate: number;
  late: number;
  /** Sequence numbers skipped and never received (RFC 3550 A.3 expected − received, floored at 0). */
  lost: number;
  /** Frames played out as concealment while audio was expected. */
  concealed: number;
  /** Frames skipped to keep the delay bound. */
  overflowDropped: number;
  resets: number;
}

const SEQ_WINDOW = 512;
const LATE_RUN_RESET = 10; // this many late packets in a row: the peer's timestamps jumped back
const RING_FRAMES = 64;

export class JitterBuffer {
  private readonly frame: number;
  private readonly delayFrames: number;
  private readonly maxDelaySamples: number;
  private readonly ringMask: number;
  private readonly ring: Uint8Array;
  private readonly filled: Uint8Array;
  private readonly seen = new Int32Array(SEQ_WINDOW).fill(-1);
  private readonly last: Uint8Array;
  private readonly pcm: Int16Array;
  private readonly silence: number;
  private readonly decode: ReturnType<typeof g711Decoder>;
  private readonly encode: ReturnType<typeof g711Encoder>;
  private started = false;
  /** Playout has begun: from now on every tick yields a frame. */
  private played = false;
  private priming = 0;
  private playoutTs = 0;
  private newestEndTs = 0;
  private haveLast = false;
  private concealRun = 0;
  private lateRun = 0;
  private extBaseSeq = 0;
  private extMaxSeq = 0;
  private uniqueReceived = 0;
  private readonly counters = { received: 0, duplicate: 0, late: 0, concealed: 0, overflowDropped: 0, resets: 0 };

  constructor(opts: JitterBufferOptions) {
    this.frame = opts.frameSamples ?? 160;
    this.delayFrames = opts.delayFrames ?? 3;
    const maxFrames = Math.min(opts.maxDelayFrames ?? this.delayFrames + 5, RING_FRAMES / 2);
    if (this.delayFrames < 0 || maxFrames < this.delayFrames + 1) {
      throw new RangeError(`JitterBuffer: need 0 ≤ delayFrames < maxDelayFrames ≤ ${RING_FRAMES / 2}`);
    }
    this.maxDelaySamples = maxFrames * this.frame;
    const size = 1 << Math.ceil(Math.log2(RING_FRAMES * this.frame));
    this.ringMask = size - 1;
    this.ring = new Uint8Array(size);
    this.filled = new Uint8Array(size);
    this.last = new Uint8Array(this.frame);
    this.pcm = new Int16Array(this.frame);
    this.silence = g711Silence(opts.law);
    this.decode = g711Decoder(opts.law);
    this.encode = g711Encoder(opts.law);
  }

  get stats(): JitterBufferStats {
    const expected = this.extMaxSeq - this.extBaseSeq + 1;
    const lost = this.uniqueReceived === 0 ? 0 : Math.max(0, expected - this.uniqueReceived);
    return { ...this.counters, lost };
  }

  /** Frames buffered ahead of playout (by the newest packet's end). */
  get depthFrames(): number {
    return this.started ? Math.max(0, tsDelta(this.newestEndTs, this.playoutTs)) / this.frame : 0;
  }

  /** Forget the stream (new SSRC): the next packet starts playout afresh. Counters stay. */
  reset(): void {
    this.started = false;
    this.filled.fill(0);
    this.seen.fill(-1);
    this.uniqueReceived = 0;
    this.lateRun = 0;
  }

  /**
   * A packet of the same stream that carries no audio (an RFC 4733 event):
   * its sequence number is not a loss.
   */
  noteOtherPacket(seq: number): void {
    if (this.uniqueReceived > 0 && this.seen[seq & (SEQ_WINDOW - 1)] !== seq) this.noteSeq(seq);
  }

  /** Offer one packet's G.711 payload (copied; `payload` may be reused by the caller). */
  push(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    if (this.seen[seq & (SEQ_WINDOW - 1)] === seq) {
      this.counters.duplicate++;
      return 'duplicate';
    }
    if (!this.started) return this.startAt(seq, timestamp, payload);
    const d = tsDelta(timestamp, this.playoutTs);
    if (d < 0) return this.onLate(seq, timestamp, payload);
    this.lateRun = 0;
    if (d > this.maxDelaySamples * 4) return this.startAt(seq, timestamp, payload); // timestamp jump: resync
    this.accept(seq, timestamp, payload);
    this.enforceBound();
    return 'ok';
  }

  /**
   * Write the next frame into `out` (frameSamples bytes). Returns 'idle' and
   * writes nothing before the first packet and while priming the cushion.
   */
  pop(out: Uint8Array): PopResult {
    if (!this.started) return this.played ? this.pause(out) : 'idle';
    if (this.priming > 0) {
      this.priming--;
      return this.played ? this.pause(out) : 'idle';
    }
    if (tsDelta(this.newestEndTs, this.playoutTs) <= 0) return this.underrun(out);
    const got = this.take(out);
    this.played = true;
    this.playoutTs = (this.playoutTs + this.frame) >>> 0;
    if (got === this.frame) {
      this.last.set(out);
      this.haveLast = true;
      this.concealRun = 0;
      return 'audio';
    }
    if (got > 0) return 'audio'; // partial frame: gaps already filled with silence
    this.counters.concealed++;
    this.conceal(out);
    return 'concealed';
  }

  private startAt(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    const restart = this.started || this.uniqueReceived > 0;
    if (restart) this.counters.resets++;
    this.filled.fill(0);
    this.started = true;
    this.priming = this.delayFrames;
    this.playoutTs = timestamp;
    this.newestEndTs = timestamp;
    if (this.uniqueReceived === 0) this.extBaseSeq = this.extMaxSeq = seq;
    this.accept(seq, timestamp, payload);
    return restart ? 'reset' : 'ok';
  }

  private onLate(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    this.counters.late++;
    this.noteSeq(seq);
    if (++this.lateRun >= LATE_RUN_RESET) return this.startAt(seq, timestamp, payload);
    return 'late';
  }

  private accept(seq: number, timestamp: number, payload: Uint8Array): void {
    this.counters.received++;
    this.noteSeq(seq);
    const mask = this.ringMask;
    const start = timestamp & mask;
    const n = Math.min(payload.length, mask + 1);
    const first = Math.min(n, mask + 1 - start);
    this.ring.set(first === n ? payload : payload.subarray(0, first), start);
    this.filled.fill(1, start, start + first);
    if (first < n) {
      this.ring.set(payload.subarray(first, n), 0);
      this.filled.fill(1, 0, n - first);
    }
    const end = (timestamp + n) >>> 0;
    if (tsDelta(end, this.newestEndTs) > 0) this.newestEndTs = end;
  }

  /** A.1-style extended sequence tracking for the loss count. */
  private noteSeq(seq: number): void {
    this.seen[seq & (SEQ_WINDOW - 1)] = seq;
    this.uniqueReceived++;
    const d = seqDelta(seq, this.extMaxSeq & 0xffff);
    if (d > 0) this.extMaxSeq += d;
    else if (this.extMaxSeq + d < this.extBaseSeq) this.extBaseSeq = this.extMaxSeq + d;
  }

  /** Skip the oldest audio while the newest is more than the bound ahead. */
  private enforceBound(): void {
    while (tsDelta(this.newestEndTs, this.playoutTs) > this.maxDelaySamples) {
      this.clearFrameFlags(this.playoutTs);
      this.playoutTs = (this.playoutTs + this.frame) >>> 0;
      this.counters.overflowDropped++;
    }
  }

  /** Copy one frame at playoutTs into `out`; missing samples become silence. Returns samples present. */
  private take(out: Uint8Array): number {
    const mask = this.ringMask;
    let got = 0;
    for (let i = 0; i < this.frame; i++) {
      const k = (this.playoutTs + i) & mask;
      if (this.filled[k]) {
        out[i] = this.ring[k]!;
        this.filled[k] = 0;
        got++;
      } else out[i] = this.silence;
    }
    return got;
  }

  private clearFrameFlags(ts: number): void {
    const mask = this.ringMask;
    for (let i = 0; i < this.frame; i++) this.filled[(ts + i) & mask] = 0;
  }

  /** Buffer dry: conceal now, and let the next packet restart playout with a cushion. */
  private underrun(out: Uint8Array): PopResult {
    this.started = false;
    this.counters.concealed++;
    this.conceal(out);
    return 'concealed';
  }

  /** Between talk-spurts or while re-buffering: keep the tick going with (concealed) silence. */
  private pause(out: Uint8Array): PopResult {
    this.conceal(out);
    return 'silence';
  }

  private conceal(out: Uint8Array): void {
    this.concealRun++;
    if (this.concealRun === 1 && this.haveLast) {
      this.decode(this.last, this.pcm, this.frame);
      for (let i = 0; i < this.frame; i++) this.pcm[i] = this.pcm[i]! >> 1; // −6 dB
      this.encode(this.pcm, out, this.frame);
    } else {
      out.fill(this.silence, 0, this.frame);
    }
  }
}
