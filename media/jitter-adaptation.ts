/**
 * The playout-delay policy of the adaptive jitter buffer: how many frames of
 * cushion to keep. Pure bookkeeping; the buffer does the moving.
 *
 * - Measures inter-arrival jitter with the RFC 3550 §6.4.1 estimator
 *   (J += (|D| − J) / 16, D = difference of relative transit times). Its
 *   1/16 gain starts from 0 and takes ~50 packets to converge, so the first
 *   16 intervals use the running mean of |D| instead (gain 1/n): the same
 *   quantity, usable after a few packets.
 * - Starts at `startFrames` (one frame above the minimum by default): with
 *   nothing yet known about the link, a frame of cushion while learning it.
 *   Every frame of delay added once playout runs costs a concealed frame, so
 *   the cushion is cheapest before playout starts. LEARN_POPS (0.5 s) in, the
 *   first shrink decision drops that frame again if the link proved clean.
 * - Grows at once: a late packet (or a frame waited for after an underrun)
 *   raises the target by as many frames as it was late.
 * - Shrinks slowly: one frame at a time, only when every pop of a whole
 *   window had at least one frame of spare audio AND the target stays above
 *   what the measured jitter asks for (a cushion of 2·J, of which the
 *   buffer's start lead already covers `leadMs`). After the first window the
 *   window is 2 s and doubles after each growth (up to 32 s), so a link that
 *   needed a cushion is not trimmed back into the same lateness over and over.
 */
const LEARN_POPS = 25; // 0.5 s of 20 ms frames
const INITIAL_WINDOW_POPS = 100; // 2 s
const MAX_WINDOW_POPS = 1600;
const JITTER_MULTIPLE = 2;
const FAST_START_INTERVALS = 16; // = 1 / the RFC 3550 gain

export class JitterAdaptation {
  /** Cushion target in frames (min…max). */
  target: number;
  /** Interarrival jitter J (RFC 3550 §6.4.1), ms. */
  jitterMs = 0;
  private prevArrivalMs: number | undefined;
  private intervals = 0;
  private windowPops = LEARN_POPS;
  private popsSeen = 0;
  private minSpare = Infinity;

  constructor(
    readonly minFrames: number,
    readonly maxFrames: number,
    private readonly frameMs: number,
    startFrames = minFrames,
    private readonly leadMs = 0,
  ) {
    this.target = Math.min(maxFrames, Math.max(minFrames, startFrames));
  }

  /** An accepted packet: its arrival time and how far (ms of media) its timestamp is from the previous one's. */
  onArrival(arrivalMs: number, rtpDeltaMs: number): void {
    if (this.prevArrivalMs !== undefined) {
      const d = arrivalMs - this.prevArrivalMs - rtpDeltaMs;
      this.intervals = Math.min(FAST_START_INTERVALS, this.intervals + 1);
      this.jitterMs += (Math.abs(d) - this.jitterMs) / this.intervals;
    }
    this.prevArrivalMs = arrivalMs;
  }

  /** Forget arrival history (new stream); the estimate J carries over. */
  resetArrivals(): void {
    this.prevArrivalMs = undefined;
  }

  /** Frames the target may still grow by. */
  headroom(): number {
    return this.maxFrames - this.target;
  }

  /** The delay grew by `frames` (already applied by the buffer). */
  grew(frames: number): void {
    if (frames <= 0) return;
    this.target = Math.min(this.maxFrames, this.target + frames);
    this.windowPops = Math.min(MAX_WINDOW_POPS, Math.max(INITIAL_WINDOW_POPS, this.windowPops) * 2);
    this.restartWindow();
  }

  /**
   * One pop with `spare` frames buffered beyond the one being played. True
   * when the buffer should drop one frame now to cut the delay.
   */
  shouldShrink(spare: number): boolean {
    if (spare < this.minSpare) this.minSpare = spare;
    if (++this.popsSeen < this.windowPops) return false;
    const floor = Math.max(this.minFrames, Math.ceil((JITTER_MULTIPLE * this.jitterMs - this.leadMs) / this.frameMs));
    const shrink = this.minSpare >= 1 && this.target > floor;
    if (shrink) this.target--;
    this.windowPops = Math.max(INITIAL_WINDOW_POPS, this.windowPops);
    this.restartWindow();
    return shrink;
  }

  private restartWindow(): void {
    this.popsSeen = 0;
    this.minSpare = Infinity;
  }
}
