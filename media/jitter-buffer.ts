/**
 * Receive jitter buffer for G.711 RTP: packets go in as they arrive, exactly
 * one 20 ms frame comes out per playout tick, in sequence order, with loss
 * concealment. Pure: the owner calls `push` on each packet and `pop` from its
 * clock.
 *
 * Placement is by RTP timestamp into a sample ring (jitter-ring.ts), so
 * reordering is undone for free and packets of any ptime (10/20/30 ms) land
 * where they belong. Duplicates are found by 16-bit sequence number with wrap
 * (RFC 3550 A.1).
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
 *
 * Adaptive mode (`adaptive: true`): the cushion is a target that follows the
 * link (policy in jitter-adaptation.ts). It starts at `startFrames` (default
 * one frame above the minimum `delayFrames`), and when the owner passes the
 * time to `pop`, the first frame of a (re)start waits at least START_LEAD_MS
 * more (jitter-start.ts); a packet older than the start frame that arrives
 * before anything of it played moves the start back to it. The delay grows at
 * once when audio comes late: a buffer that runs dry waits (conceals without
 * advancing) up to HOLD_FRAMES for the missing frame instead of restarting;
 * if newer audio comes while the awaited frame still has not (lost, or later
 * still), the frames already concealed stand for it and playout moves on
 * without growing; a late packet whose slot was just concealed is taken back
 * and played next (the concealment becomes the insertion); any other late
 * packet inserts as many concealed frames as it was late. It shrinks slowly,
 * by dropping one frame when a whole window of pops had spare audio.
 */
import { FrameConcealer } from './frame-concealer.js';
import { JitterAdaptation } from './jitter-adaptation.js';
import { SampleRing } from './jitter-ring.js';
import { SeqTracker } from './jitter-seq.js';
import { PlayoutStart, START_LEAD_MS } from './jitter-start.js';
import type { JitterBufferOptions, JitterBufferStats, PopResult, PushResult } from './jitter-types.js';
import { tsDelta } from './rtp-packet.js';

export type { JitterBufferOptions, JitterBufferStats, PopResult, PushResult } from './jitter-types.js';

const LATE_RUN_RESET = 10; // this many late packets in a row: the peer's timestamps jumped back
const RING_FRAMES = 64;
const EXCESS_POPS = 25; // adaptive: 500 ms of audio queued > 2 frames over the target before catching up
const HOLD_FRAMES = 3; // adaptive: wait this long for a missing frame before treating the silence as a pause

export class JitterBuffer {
  private readonly frame: number;
  private readonly frameMs: number;
  private readonly delayFrames: number;
  private readonly maxDelaySamples: number;
  private readonly ring: SampleRing;
  private readonly seqs = new SeqTracker();
  private readonly concealer: FrameConcealer;
  private started = false;
  /** Playout has begun: from now on every tick yields a frame. */
  private played = false;
  private priming = 0;
  private playoutTs = 0;
  private newestEndTs = 0;
  private lateRun = 0;
  private readonly adapt: JitterAdaptation | undefined;
  /** Adaptive: ticks waited at an empty buffer, concealed frames to insert, mid-stream concealed frames in a row. */
  private holdRun = 0;
  private stretch = 0;
  private midConcealRun = 0;
  private excessRun = 0;
  private lastPushTs = 0;
  private readonly start = new PlayoutStart();
  private readonly counters = { received: 0, duplicate: 0, late: 0, concealed: 0, overflowDropped: 0, resets: 0, recovered: 0, shrunk: 0 };

  constructor(opts: JitterBufferOptions) {
    this.frame = opts.frameSamples ?? 160;
    this.frameMs = (this.frame * 1000) / 8000;
    this.delayFrames = opts.delayFrames ?? 3;
    const maxFrames = Math.min(opts.maxDelayFrames ?? this.delayFrames + 5, RING_FRAMES / 2);
    if (this.delayFrames < 0 || maxFrames < this.delayFrames + 1) {
      throw new RangeError(`JitterBuffer: need 0 ≤ delayFrames < maxDelayFrames ≤ ${RING_FRAMES / 2}`);
    }
    this.maxDelaySamples = maxFrames * this.frame;
    this.concealer = new FrameConcealer(opts.law, this.frame);
    this.ring = new SampleRing(RING_FRAMES * this.frame, this.frame, this.concealer.silence);
    if (opts.adaptive) {
      const startFrames = opts.startFrames ?? this.delayFrames + 1;
      this.adapt = new JitterAdaptation(this.delayFrames, maxFrames - 1, this.frameMs, startFrames, START_LEAD_MS);
    }
  }

  get stats(): JitterBufferStats {
    const lost = this.seqs.lost;
    const targetFrames = this.adapt?.target ?? this.delayFrames;
    return { ...this.counters, lost, targetFrames, jitterMs: this.adapt?.jitterMs ?? 0 };
  }

  /** Frames buffered ahead of playout (by the newest packet's end). */
  get depthFrames(): number {
    return this.started ? Math.max(0, tsDelta(this.newestEndTs, this.playoutTs)) / this.frame : 0;
  }

  /** Forget the stream (new SSRC): the next packet starts playout afresh. Counters stay. */
  reset(): void {
    this.started = false;
    this.ring.clear();
    this.seqs.reset();
    this.lateRun = 0;
    this.adapt?.resetArrivals();
  }

  /**
   * A packet of the same stream that carries no audio (an RFC 4733 event):
   * its sequence number is not a loss.
   */
  noteOtherPacket(seq: number): void {
    if (this.seqs.unique > 0 && !this.seqs.has(seq)) this.seqs.note(seq);
  }

  /**
   * Offer one packet's G.711 payload (copied; `payload` may be reused by the
   * caller). `arrivalMs` feeds the adaptive mode's jitter estimate.
   */
  push(seq: number, timestamp: number, payload: Uint8Array, arrivalMs?: number): PushResult {
    if (this.seqs.has(seq)) {
      this.counters.duplicate++;
      return 'duplicate';
    }
    if (this.adapt && arrivalMs !== undefined) {
      this.adapt.onArrival(arrivalMs, this.seqs.unique === 0 ? 0 : tsDelta(timestamp, this.lastPushTs) / 8);
      this.lastPushTs = timestamp;
    }
    if (!this.started) return this.startAt(seq, timestamp, payload, arrivalMs);
    this.start.note(timestamp, arrivalMs);
    const d = tsDelta(timestamp, this.playoutTs);
    if (d < 0 && this.adapt && this.start.pending && tsDelta(this.newestEndTs, timestamp) <= this.maxDelaySamples) return this.startEarlier(seq, timestamp, payload);
    if (d < 0) return this.onLate(seq, timestamp, payload);
    this.lateRun = 0;
    if (d > this.maxDelaySamples * 4) return this.startAt(seq, timestamp, payload, arrivalMs); // timestamp jump: resync
    this.accept(seq, timestamp, payload);
    this.enforceBound();
    return 'ok';
  }

  /**
   * Write the next frame into `out` (frameSamples bytes). Returns 'idle' and
   * writes nothing before the first packet and while priming the cushion.
   * `nowMs` (same clock as push's `arrivalMs`): adaptive mode then times the
   * start of playout (jitter-start.ts) instead of counting ticks.
   */
  pop(out: Uint8Array, nowMs?: number): PopResult {
    if (!this.started) return this.played ? this.pause(out) : 'idle';
    if (this.startWaits(nowMs) || this.priming > 0) {
      if (this.priming > 0) this.priming--;
      return this.played ? this.pause(out) : 'idle';
    }
    if (this.stretch > 0) {
      this.stretch--;
      return this.concealMidStream(out);
    }
    if (tsDelta(this.newestEndTs, this.playoutTs) <= 0) return this.adapt && this.holdRun < HOLD_FRAMES ? this.hold(out) : this.underrun(out);
    if (this.adapt) {
      this.trimDelay();
      this.skipHeldSlots();
    }
    const got = this.ring.take(this.playoutTs, out);
    this.played = true;
    this.start.played();
    this.playoutTs = (this.playoutTs + this.frame) >>> 0;
    if (got === 0) {
      this.midConcealRun++;
      return this.concealMidStream(out);
    }
    this.midConcealRun = 0;
    if (this.holdRun > 0) {
      this.adapt!.grew(this.holdRun); // waited for this audio: the delay is that much longer now
      this.holdRun = 0;
    }
    if (got === this.frame) {
      this.concealer.played(out);
    }
    return 'audio'; // a partial frame has its gaps filled with silence
  }

  private startAt(seq: number, timestamp: number, payload: Uint8Array, arrivalMs?: number): PushResult {
    const restart = this.started || this.seqs.unique > 0;
    if (restart) this.counters.resets++;
    this.ring.clear();
    this.started = true;
    this.priming = this.adapt?.target ?? this.delayFrames;
    if (this.adapt) this.start.begin(timestamp, arrivalMs, this.priming * this.frameMs + START_LEAD_MS);
    this.holdRun = this.stretch = this.midConcealRun = 0;
    this.playoutTs = timestamp;
    this.newestEndTs = timestamp;
    this.seqs.start(seq);
    this.accept(seq, timestamp, payload);
    return restart ? 'reset' : 'ok';
  }

  /**
   * Adaptive, nothing of this start played yet: a packet from before the start
   * frame (reordered ahead of it) becomes the start — a cushion that costs no
   * concealment, where dropping it would cost a gap.
   */
  private startEarlier(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    this.lateRun = 0;
    this.playoutTs = timestamp;
    this.accept(seq, timestamp, payload);
    return 'ok';
  }

  /**
   * Adaptive, after a hold: when the awaited frame is still missing but newer
   * audio is here, it was lost (or is later still). The frames concealed while
   * holding stand for it, so playout moves past it instead of concealing it
   * once more and keeping the hold as added delay.
   */
  private skipHeldSlots(): void {
    while (this.holdRun > 0 && !this.ring.has(this.playoutTs) && tsDelta(this.newestEndTs, this.playoutTs) > this.frame) {
      this.playoutTs = (this.playoutTs + this.frame) >>> 0;
      this.holdRun--;
    }
  }

  /** Time known and the pending start's first frame not yet due (see jitter-start.ts). */
  private startWaits(nowMs: number | undefined): boolean {
    if (!this.start.pending || nowMs === undefined || !this.start.timed) return false;
    this.priming = 0; // the time rule replaces the tick count
    // A full buffer is all the cushion there is: waiting on would only drop audio through the
    // bound, frame after frame (a start whose packets were read late by a stalled loop is due
    // later with every frame the bound drops, so it would never start while the stream runs).
    if (tsDelta(this.newestEndTs, this.playoutTs) >= this.maxDelaySamples) return false;
    return this.start.waits(nowMs, this.playoutTs);
  }

  private onLate(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    this.counters.late++;
    if (++this.lateRun >= LATE_RUN_RESET) {
      this.seqs.note(seq);
      return this.startAt(seq, timestamp, payload);
    }
    if (this.adapt) return this.adaptToLate(seq, timestamp, payload);
    this.seqs.note(seq);
    return 'late';
  }

  /** Adaptive: grow the delay by as much as the packet was late. */
  private adaptToLate(seq: number, timestamp: number, payload: Uint8Array): PushResult {
    const lateSamples = tsDelta(this.playoutTs, timestamp);
    const frames = Math.ceil(lateSamples / this.frame);
    if (lateSamples % this.frame === 0 && frames <= this.midConcealRun && frames <= this.adapt!.headroom()) {
      // Its slot (and any after it) was concealed, nothing newer played yet: play it next.
      this.playoutTs = timestamp;
      this.midConcealRun -= frames;
      this.accept(seq, timestamp, payload);
      this.counters.recovered++;
      this.adapt!.grew(frames);
      return 'ok';
    }
    this.seqs.note(seq);
    const grow = Math.min(frames, this.adapt!.headroom());
    this.stretch += grow;
    this.adapt!.grew(grow);
    return 'late';
  }

  private accept(seq: number, timestamp: number, payload: Uint8Array): void {
    this.counters.received++;
    this.seqs.note(seq);
    const end = this.ring.write(timestamp, payload);
    if (tsDelta(end, this.newestEndTs) > 0) this.newestEndTs = end;
  }

  /** Skip the oldest audio while the newest is more than the bound ahead. */
  private enforceBound(): void {
    while (tsDelta(this.newestEndTs, this.playoutTs) > this.maxDelaySamples) {
      this.ring.drop(this.playoutTs);
      this.playoutTs = (this.playoutTs + this.frame) >>> 0;
      this.counters.overflowDropped++;
    }
  }

  /** Adaptive, buffer dry: conceal without advancing, waiting for the frame that is due. */
  private hold(out: Uint8Array): PopResult {
    this.holdRun++;
    return this.concealMidStream(out);
  }

  private concealMidStream(out: Uint8Array): PopResult {
    this.counters.concealed++;
    this.conceal(out);
    return 'concealed';
  }

  /**
   * Adaptive: the slow shrink of the target, and a catch-up when a burst
   * (the peer's or our own event loop stalled) left audio queued well beyond
   * the target for a while — EXCESS_POPS pops in a row more than 2 frames
   * over it drop a frame, then one every other pop until it is back. Not at
   * once: on a link that stalls, the queued burst is what absorbs the next
   * stall.
   */
  private trimDelay(): void {
    const spare = tsDelta(this.newestEndTs, this.playoutTs) / this.frame - 1;
    const excess = spare > this.adapt!.target + 2;
    this.excessRun = excess ? this.excessRun + 1 : 0;
    const catchUp = this.excessRun >= EXCESS_POPS && (this.excessRun - EXCESS_POPS) % 2 === 0;
    if (this.adapt!.shouldShrink(spare) || catchUp) this.dropOneFrame();
  }

  /** Adaptive shrink: skip the oldest frame (one frame less of delay). */
  private dropOneFrame(): void {
    this.ring.drop(this.playoutTs);
    this.playoutTs = (this.playoutTs + this.frame) >>> 0;
    this.counters.shrunk++;
  }

  /** Buffer dry: conceal now, and let the next packet restart playout with a cushion. */
  private underrun(out: Uint8Array): PopResult {
    this.started = false;
    this.holdRun = 0; // a pause, not lateness: no growth
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
    this.concealer.conceal(out);
  }
}
