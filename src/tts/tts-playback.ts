/**
 * Plays a TTS stream to a call leg through the same path as agent audio: the
 * leg's pacer and its playback truth (Twilio marks, the RTP sender queue).
 * Chunks are framed to 20 ms as they arrive, so the caller hears the first
 * frame as soon as the engine (or the cache) yields it; the last frame is
 * padded with codec silence and followed by a mark, and `play` resolves when
 * the owner forwards that mark's `onPlayed`. A synthesis failure mid-message
 * ends the message cleanly after what did arrive; an abort clears the leg.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameChunker } from '../../media/frame-chunker.js';
import { g711Silence, type G711Law } from '../../media/g711.js';

const FRAME_BYTES = 160;
const FRAME_MS = 20;

/** The slice of `CallLeg` playback needs. */
export interface PlaybackSink {
  sendAudio(frame: Uint8Array): void;
  mark(label: string): void;
  clear(): void;
  /** Queued audio the caller has not heard yet (ms); used for the heard part and to stay within the leg's queue bound. */
  unplayedMs?(): number;
}

export interface PlaybackResult {
  /** Audio the caller heard (all of it when complete). */
  playedMs: number;
  /** The whole message played to its end. */
  complete: boolean;
  /** Why the message stopped early, when the synthesis failed. */
  error?: unknown;
}

export interface TtsPlaybackOptions {
  law: G711Law;
  /** Keep at most this much queued in the leg (its pacer drops the oldest beyond 120 s). Default 20 s. */
  maxAheadMs?: number;
}

const ABORTED = Symbol('aborted');
let sequence = 0;

export class TtsPlayback {
  private waiting: { label: string; resolve: () => void } | undefined;

  constructor(private readonly sink: PlaybackSink, private readonly opts: TtsPlaybackOptions) {}

  /** Forward the leg's `onPlayed(label)` here. */
  onPlayed(label: string): void {
    if (this.waiting?.label === label) this.waiting.resolve();
  }

  async play(audio: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<PlaybackResult> {
    const aborted = abortPromise(signal);
    const chunker = new FrameChunker(FRAME_BYTES);
    let frames = 0;
    const send = (frame: Uint8Array): void => {
      this.sink.sendAudio(frame);
      frames++;
    };
    const it = audio[Symbol.asyncIterator]();
    let error: unknown;
    try {
      for (;;) {
        const next = await Promise.race([it.next(), aborted]);
        if (next === ABORTED) return this.stop(frames, it);
        if (next.done) break;
        await this.push(chunker, next.value, send, signal);
      }
    } catch (err) {
      error = err;
    }
    chunker.flush(send, g711Silence(this.opts.law));
    if (frames === 0 && error !== undefined) return { playedMs: 0, complete: false, error };
    return this.finish(frames, error, aborted);
  }

  private async finish(frames: number, error: unknown, aborted: Promise<typeof ABORTED>): Promise<PlaybackResult> {
    const label = `tts-${++sequence}`;
    const played = new Promise<void>((resolve) => (this.waiting = { label, resolve }));
    this.sink.mark(label);
    const outcome = await Promise.race([played, aborted]);
    this.waiting = undefined;
    if (outcome === ABORTED) return this.stop(frames);
    return { playedMs: frames * FRAME_MS, complete: error === undefined, ...(error !== undefined && { error }) };
  }

  private stop(frames: number, it?: AsyncIterator<Uint8Array>): PlaybackResult {
    const unplayed = this.sink.unplayedMs?.() ?? 0;
    this.sink.clear();
    it?.return?.().catch(() => undefined);
    return { playedMs: Math.max(0, frames * FRAME_MS - unplayed), complete: false };
  }

  /**
   * Frames a chunk into the leg in slices, waiting while the leg holds more
   * than `maxAheadMs` (a cached message arrives as one chunk of many seconds).
   */
  private async push(chunker: FrameChunker, chunk: Uint8Array, send: (f: Uint8Array) => void, signal?: AbortSignal): Promise<void> {
    const max = this.opts.maxAheadMs ?? 20_000;
    const slice = Math.max(FRAME_BYTES, Math.min(8000, max * 8));
    for (let at = 0; at < chunk.length && !signal?.aborted; at += slice) {
      chunker.push(chunk.subarray(at, at + slice), send);
      while (this.sink.unplayedMs && this.sink.unplayedMs() > max && !signal?.aborted) {
        await sleep(Math.min(100, max / 2), undefined, { signal }).catch(() => undefined);
      }
    }
  }
}

function abortPromise(signal?: AbortSignal): Promise<typeof ABORTED> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(ABORTED), { once: true }));
}
