import { g711Decoder, type G711Law } from '../../media/g711.js';

/** Agent audio waiting to be played beyond this (2 min at 20 ms) is dropped oldest first. */
const MAX_QUEUED_FRAMES = 6000;

/**
 * The two sides of a call on one timeline, as 8 kHz stereo PCM16: the
 * caller on the left, what the caller heard on the right. The phone's
 * frames are the clock (they arrive in real time, 20 ms apart, and the
 * provider plays our audio on that same clock): each caller frame plays out
 * as many samples of queued agent audio, or silence when none is queued.
 * `clear()` (barge-in) drops what was queued but not yet played, exactly as
 * the provider does, so the right channel is cut where the caller cut in.
 * Pure: no I/O; the recorder writes what `tick` returns.
 */
export class StereoTimeline {
  private readonly decode: (src: Uint8Array, dst: Int16Array, count?: number) => void;
  private readonly queue: Uint8Array[] = [];
  private offset = 0;
  private left = new Int16Array(160);
  private right = new Int16Array(160);
  private paused = false;
  /** Samples per channel produced so far. */
  samples = 0;
  droppedFrames = 0;

  constructor(law: G711Law) {
    this.decode = g711Decoder(law);
  }

  /** Agent (or bridge prompt) audio queued for the caller. */
  queued(frame: Uint8Array): void {
    this.queue.push(frame);
    if (this.queue.length > MAX_QUEUED_FRAMES) {
      this.queue.shift();
      this.offset = 0;
      this.droppedFrames++;
    }
  }

  /** Barge-in: what was not played yet will never be heard. */
  clear(): void {
    this.queue.length = 0;
    this.offset = 0;
  }

  /** While paused both channels are silent, but the timeline (and playout) goes on. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** One caller frame: returns the interleaved stereo bytes (little-endian PCM16) for its duration. */
  tick(callerFrame: Uint8Array): Buffer {
    const n = callerFrame.length;
    if (this.left.length < n) {
      this.left = new Int16Array(n);
      this.right = new Int16Array(n);
    }
    this.decode(callerFrame, this.left, n);
    const heard = this.playOut(n);
    this.samples += n;
    const out = Buffer.allocUnsafe(n * 4);
    for (let i = 0; i < n; i++) {
      out.writeInt16LE(this.paused ? 0 : this.left[i]!, i * 4);
      out.writeInt16LE(this.paused || i >= heard ? 0 : this.right[i]!, i * 4 + 2);
    }
    return out;
  }

  /** Takes up to `n` samples of queued audio into `right`; returns how many there were. */
  private playOut(n: number): number {
    let filled = 0;
    while (filled < n && this.queue.length > 0) {
      const frame = this.queue[0]!;
      const take = Math.min(n - filled, frame.length - this.offset);
      this.decode(frame.subarray(this.offset, this.offset + take), this.right.subarray(filled), take);
      filled += take;
      this.offset += take;
      if (this.offset >= frame.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    return filled;
  }
}
