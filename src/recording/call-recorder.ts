import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { G711Law } from '../../media/g711.js';
import { encodeWav } from '../../media/wav.js';
import { StereoTimeline } from './stereo-timeline.js';

const SAMPLE_RATE = 8000;
const HEADER_BYTES = 44;
const FLUSH_MS = 250;

export interface RecordingResult {
  path: string;
  durationMs: number;
  bytes: number;
}

/**
 * One call's stereo WAV, written as the call goes (no whole-call buffer):
 * a header with zero sizes first, the samples streamed after it, and the
 * RIFF and data sizes patched in at close (RIFF: the sizes at offsets 4 and 40).
 */
export class CallRecorder {
  private readonly out: WriteStream;
  private readonly timeline: StereoTimeline;
  private closed: Promise<RecordingResult> | undefined;
  private failed: Error | undefined;
  private isPaused = false;
  private readonly flusher: NodeJS.Timeout;

  constructor(readonly path: string, law: G711Law) {
    const t0 = performance.now();
    this.timeline = new StereoTimeline(law, () => performance.now() - t0);
    this.out = createWriteStream(path);
    this.out.on('error', (err) => (this.failed = err));
    this.out.write(Buffer.from(encodeWav({ sampleRate: SAMPLE_RATE, encoding: 'pcm16', channels: 2, data: new Uint8Array(0) })));
    // Keeps the file growing (and memory flat) when the caller sends no frames for a while.
    this.flusher = setInterval(() => this.write(this.timeline.flush()), FLUSH_MS);
    this.flusher.unref();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  caller(frame: Uint8Array): void {
    this.write(this.timeline.tick(frame));
  }

  private write(bytes: Buffer): void {
    if (bytes.length && !this.closed && !this.failed) this.out.write(bytes);
  }

  heard(frame: Uint8Array): void {
    if (!this.closed) this.timeline.queued(frame);
  }

  cleared(): void {
    this.timeline.clear();
  }

  pause(): void {
    this.isPaused = true;
    this.timeline.setPaused(true);
  }

  resume(): void {
    this.isPaused = false;
    this.timeline.setPaused(false);
  }

  /** Position on the recording's timeline (what has been written so far). */
  get durationMs(): number {
    return Math.round((this.timeline.emitted * 1000) / SAMPLE_RATE);
  }

  /** Finishes the file; idempotent. */
  close(): Promise<RecordingResult> {
    if (!this.closed) {
      clearInterval(this.flusher);
      this.write(this.timeline.finish());
    }
    this.closed ??= this.finish();
    return this.closed;
  }

  private async finish(): Promise<RecordingResult> {
    await new Promise<void>((resolve) => this.out.end(() => resolve()));
    if (this.failed) throw this.failed;
    const dataBytes = this.timeline.emitted * 4;
    const file = await open(this.path, 'r+');
    try {
      const sizes = Buffer.alloc(4);
      sizes.writeUInt32LE(36 + dataBytes, 0);
      await file.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(dataBytes, 0);
      await file.write(sizes, 0, 4, 40);
    } finally {
      await file.close();
    }
    return { path: this.path, durationMs: this.durationMs, bytes: HEADER_BYTES + dataBytes };
  }
}
