/** What the reference agent heard from the client, for tests to inspect. */
import type { FormatSpec } from './formats.js';

export interface UserAudioChunk {
  /** Arrival time, `performance.now()` ms (monotonic: good for pacing checks). */
  at: number;
  /** Size on the wire, before base64. */
  bytes: number;
  /** Decoded PCM16 at the input rate; absent when `recordUserAudio` is false. */
  pcm?: Int16Array;
}

export class UserAudioRecorder {
  readonly chunks: UserAudioChunk[] = [];
  private samples = 0;

  constructor(readonly format: FormatSpec) {}

  add(chunk: UserAudioChunk): void {
    this.chunks.push(chunk);
    this.samples += Math.floor(chunk.bytes / this.format.bytesPerSample);
  }

  /** Total duration of user audio received, in ms at the input rate. */
  get durationMs(): number {
    return (this.samples * 1000) / this.format.sampleRate;
  }

  /** All recorded user audio, concatenated (PCM16 at `format.sampleRate`). */
  pcm(): Int16Array {
    const out = new Int16Array(this.chunks.reduce((n, c) => n + (c.pcm?.length ?? 0), 0));
    let offset = 0;
    for (const c of this.chunks) {
      if (!c.pcm) continue;
      out.set(c.pcm, offset);
      offset += c.pcm.length;
    }
    return out;
  }
}

/** Byte length of base64 text without decoding it (echo fast path). */
export function base64ByteLength(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}
