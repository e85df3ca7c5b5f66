/** The jitter buffer's options, results and counters (jitter-buffer.ts). */
import type { G711Law } from './g711.js';

export interface JitterBufferOptions {
  law: G711Law;
  /** Cushion before playout, in frames (default 3 = 60 ms). */
  delayFrames?: number;
  /** Newest audio is never more than this many frames ahead of playout (default delay + 5). */
  maxDelayFrames?: number;
  /** Samples per frame (default 160 = 20 ms at 8 kHz). */
  frameSamples?: number;
  /** Follow the link's jitter (see above); `delayFrames` is then the minimum. */
  adaptive?: boolean;
  /** Adaptive: the cushion target to start with, while the link is unknown (default delayFrames + 1). */
  startFrames?: number;
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
  /** Adaptive: late packets still played (their concealed slot became an insertion). */
  recovered: number;
  /** Adaptive: frames dropped to shrink the delay. */
  shrunk: number;
  /** Adaptive: current cushion target in frames, and the RFC 3550 jitter estimate in ms. */
  targetFrames: number;
  jitterMs: number;
}
