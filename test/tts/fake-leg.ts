import { performance } from 'node:perf_hooks';
import type { PlaybackSink } from '../../src/tts/tts-playback.js';

export interface HeardFrame {
  bytes: Uint8Array;
  /** When the leg got the frame (performance.now()). */
  at: number;
}

/**
 * A call leg that plays in real time: each frame takes 20 ms after the one
 * before it; a mark reports played when everything queued before it has been
 * heard. Records every frame with its arrival time.
 */
export class RealTimeLeg implements PlaybackSink {
  readonly frames: HeardFrame[] = [];
  readonly marks: string[] = [];
  clears = 0;
  onPlayed: (label: string) => void = () => undefined;
  private playEnd = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  sendAudio(frame: Uint8Array): void {
    const now = performance.now();
    this.frames.push({ bytes: frame, at: now });
    this.playEnd = Math.max(this.playEnd, now) + 20;
  }

  mark(label: string): void {
    this.marks.push(label);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.onPlayed(label);
    }, Math.max(0, this.playEnd - performance.now()));
    this.timers.add(t);
  }

  clear(): void {
    this.clears++;
    this.playEnd = performance.now();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  unplayedMs(): number {
    return Math.max(0, this.playEnd - performance.now());
  }

  /** Everything sent, as one byte string. */
  bytes(): Uint8Array {
    return Buffer.concat(this.frames.map((f) => f.bytes));
  }
}
