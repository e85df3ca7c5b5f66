import { CallerTrack } from './caller-track.js';
import { HeardTrack } from './heard-track.js';

/** Caller frames this late are given up for silence (a leg with silence suppression still advances). */
const CALLER_GRACE_MS = 2000;
/**
 * Nothing is written until the caller has sent this long: the most prompt of
 * its first frames sets the origin (a burst held up before the call object
 * existed, a first packet delayed on the way).
 */
const SETTLE_MS = 500;
/** Caller frames handled this late mean the way from the caller (or this process) was held up... */
const STALE_LATE_MS = 60;
/** ...for whatever else was handled this close to them (the same burst). */
const STALE_NEAR_MS = 10;

/** One leg payload (20 ms) to PCM16 at the timeline's rate; stateful for ADPCM codecs. */
export type FrameDecoder = (frame: Uint8Array) => Int16Array;

/**
 * The two sides of a call on one timeline (samples since the recording's
 * origin, at the leg's rate), as interleaved stereo PCM16: the caller on the
 * left (CallerTrack: placed by media time), what the caller heard on the
 * right (HeardTrack).
 *
 * The origin is the earlier of the recording's start and the moment the
 * caller's media time 0 was sent, on `nowMs`'s clock (the earliest that any
 * caller frame implies: arrival minus media time). A caller who starts
 * sending after the recording started (an RTP peer after the answer) has
 * silence before its first frame; one who started before (a Twilio stream
 * before the call object exists) has its first frame at 0.
 *
 * Samples are emitted once both channels are final up to a point; missing
 * caller audio is waited for up to a grace period, then is silence. Pause
 * spans are silent on both channels; the timeline keeps its length. Pure:
 * the clock is injected, the caller writes the bytes.
 */
export class StereoTimeline {
  private readonly heard: HeardTrack;
  private readonly caller: CallerTrack;
  private readonly perMs: number;
  private originMs: number;
  private readonly pauses: Array<{ from: number; to: number }> = [];
  /** Positions at which caller frames were handled late (bursts after a stall), recent ones only. */
  private readonly lateAt: number[] = [];
  /** Where the first caller frame arrived (writing waits SETTLE_MS after it). */
  private callerSince: number | undefined;
  /** End of the latest frame reported sent (legs that report every slot, RTP: the heard channel is known up to here). */
  private sentEnd = -Infinity;
  /** Samples per channel emitted so far. */
  emitted = 0;

  constructor(
    decodeCaller: FrameDecoder,
    private readonly decodeHeard: FrameDecoder,
    rate: number,
    private readonly nowMs: () => number,
    samplesPerByte = 1,
    /** The leg reports a frame for every slot, silence included (RTP): what it has not reported yet is not known. */
    private readonly everySlot = false,
  ) {
    this.perMs = rate / 1000;
    this.heard = new HeardTrack(rate, (at) => this.stale(at));
    this.caller = new CallerTrack(rate, samplesPerByte, decodeCaller);
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
    const samples = this.decodeHeard(frame);
    const at = this.at(atMs);
    this.sentEnd = Math.max(this.sentEnd, at + samples.length);
    this.heard.sent(samples, at, probe);
  }

  /**
   * How far the heard channel may be written. A leg that reports every slot
   * reports a slot after its media time (a stalled tick sends several late):
   * nothing past the last one reported is known, unless the leg has sent
   * nothing for the grace period (hold, no destination).
   */
  private heardLimit(now: number): number {
    const limit = this.heard.limit(now, this.emitted);
    return this.everySlot ? Math.min(limit, Math.max(this.sentEnd, now - CALLER_GRACE_MS * this.perMs)) : limit;
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

  /**
   * One caller frame stamped `mediaMs` (its media time on stream `stream`);
   * returns the stereo bytes now final (possibly none).
   */
  tick(frame: Uint8Array, mediaMs: number, stream?: number | string): Buffer {
    const { late, earlier } = this.caller.add(frame, mediaMs, stream, this.position);
    const base = this.caller.base!;
    // The caller's media time 0 came before the origin: the origin moves back to it. Once the
    // caller's audio is being written, a frame that says the caller's clock is earlier than
    // thought moves the origin back as well, so the left channel goes on without a jump and
    // what is sent to the caller from now on is placed on the better estimate.
    // A leg whose heard audio is placed by its own media clock (RTP) keeps the placement it had
    // when writing began instead: moving its origin would open a gap in what it sends.
    if (earlier > 0 && this.emitted > 0 && this.everySlot) this.caller.shift(earlier);
    else if (base < 0) this.moveOrigin(-base);
    else if (earlier > 0 && this.emitted > 0) this.moveOrigin(earlier);
    const now = this.position;
    this.callerSince ??= now;
    if (late > STALE_LATE_MS * this.perMs) this.lateAt.push(now);
    while (this.lateAt.length && this.lateAt[0]! < this.emitted - CALLER_GRACE_MS * this.perMs) this.lateAt.shift();
    if (this.settling(now)) return Buffer.alloc(0);
    return this.emit(Math.min(this.caller.ready(this.emitted), now, this.heardLimit(now)));
  }

  private settling(now: number): boolean {
    return this.emitted === 0 && this.callerSince !== undefined && now < this.callerSince + SETTLE_MS * this.perMs;
  }

  /** Positions move later by `by` samples: the origin is that much earlier. */
  private moveOrigin(by: number): void {
    this.originMs -= by / this.perMs;
    if (this.callerSince !== undefined) this.callerSince += by;
    for (let i = 0; i < this.lateAt.length; i++) this.lateAt[i]! += by;
    this.caller.shift(by);
    // Heard audio already placed keeps its place once writing has begun: a run of it is written
    // back to back (moving the rest of a run would open a gap in it); what is sent from now on
    // is placed on the new origin.
    if (this.emitted === 0) {
      this.heard.shift(by);
      this.sentEnd += by;
    }
    for (const p of this.pauses) {
      p.from += by;
      p.to += by;
    }
  }

  private stale(at: number): boolean {
    const near = STALE_NEAR_MS * this.perMs;
    return this.lateAt.some((t) => Math.abs(t - at) <= near);
  }

  /** Periodic: emits what is final even without caller frames. */
  flush(): Buffer {
    const now = this.position;
    if (this.settling(now)) return Buffer.alloc(0);
    const caller = Math.max(Math.min(this.caller.ready(this.emitted), now), now - CALLER_GRACE_MS * this.perMs);
    return this.emit(Math.min(caller, this.heardLimit(now)));
  }

  /** The call ended: everything up to now; heard audio beyond it was never played. */
  finish(): Buffer {
    const now = this.position;
    this.heard.end(now);
    return this.emit(Math.max(this.caller.end, now));
  }

  private emit(upTo: number): Buffer {
    const from = this.emitted;
    const n = upTo - from;
    if (n <= 0) return Buffer.alloc(0);
    const out = Buffer.alloc(n * 4);
    this.caller.render(from, upTo, (p, v) => out.writeInt16LE(v, (p - from) * 4));
    this.heard.render(from, upTo, (p, v) => out.writeInt16LE(v, (p - from) * 4 + 2));
    const clip = (p: number): number => Math.max(0, Math.min(n, p - from)) * 4;
    for (const pause of this.pauses) out.fill(0, clip(pause.from), clip(pause.to));
    while (this.pauses.length && this.pauses[0]!.to <= upTo) this.pauses.shift();
    this.emitted = upTo;
    return out;
  }
}
