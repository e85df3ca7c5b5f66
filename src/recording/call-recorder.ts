import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { encodeWav } from '../../media/wav.js';
import type { LegCodec } from '../call/call-leg.js';
import { legDecoder, legSampleRate, samplesPerByte } from '../call/leg-codec.js';
import { StereoTimeline, type FrameDecoder } from './stereo-timeline.js';

const HEADER_BYTES = 44;
const FLUSH_MS = 250;

export interface RecordingResult {
  path: string;
  durationMs: number;
  bytes: number;
}

/** A decoder per direction: G.722 is ADPCM, its state follows one stream. */
function frameDecoder(codec: LegCodec): FrameDecoder {
  const decode = legDecoder(codec);
  const spb = samplesPerByte(codec);
  return (frame) => {
    const out = new Int16Array(frame.length * spb);
    decode(frame, out);
    return out;
  };
}

/**
 * One call's stereo WAV at the leg's rate (8 kHz G.711, 16 kHz for wideband
 * G.722 legs), written as the call goes (no whole-call buffer):
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
  readonly sampleRate: number;

  /** `now`: the clock the leg's send times are on (performance.now()). */
  /** `everySlot`: the leg reports what it sent for every 20 ms slot, silence included (RTP). */
  constructor(readonly path: string, codec: LegCodec, now: () => number = () => performance.now(), everySlot = false) {
    this.sampleRate = legSampleRate(codec);
    this.timeline = new StereoTimeline(frameDecoder(codec), frameDecoder(codec), this.sampleRate, now, samplesPerByte(codec), everySlot);
    this.out = createWriteStream(path);
    this.out.on('error', (err) => (this.failed = err));
    this.out.write(Buffer.from(encodeWav({ sampleRate: this.sampleRate, encoding: 'pcm16', channels: 2, data: new Uint8Array(0) })));
    // Keeps the file growing (and memory flat) when the caller sends no frames for a while.
    this.flusher = setInterval(() => this.write(this.timeline.flush()), FLUSH_MS);
    this.flusher.unref();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** A caller frame stamped with its media time (`mediaMs` on stream `stream`: an RTP SSRC, a Twilio stream). */
  caller(frame: Uint8Array, mediaMs: number, stream?: number | string): void {
    if (!this.closed) this.write(this.timeline.tick(frame, mediaMs, stream));
  }

  private write(bytes: Buffer): void {
    if (bytes.length && !this.closed && !this.failed) this.out.write(bytes);
  }

  /** A frame went on the wire to the caller at `atMs`; with `probe` the leg reports `played(probe)` later. */
  sent(frame: Uint8Array, atMs: number, probe?: number): void {
    if (!this.closed) this.timeline.sent(frame, atMs, probe);
  }

  played(probe: number): void {
    if (!this.closed) this.timeline.played(probe);
  }

  cleared(): void {
    if (!this.closed) this.timeline.clear();
  }

  pause(): void {
    this.isPaused = true;
    this.timeline.setPaused(true);
  }

  resume(): void {
    this.isPaused = false;
    this.timeline.setPaused(false);
  }

  /** Now, on the recording's timeline (pause and resume take effect here). */
  get positionMs(): number {
    return Math.round((this.timeline.position * 1000) / this.sampleRate);
  }

  /** Length of what has been written so far. */
  get durationMs(): number {
    return Math.round((this.timeline.emitted * 1000) / this.sampleRate);
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
