/**
 * What the caller says into the phone, as a queue of μ-law bytes cut into 20 ms frames.
 * A real line never goes quiet on the wire: after the caller stops talking Twilio keeps
 * sending frames of silence (μ-law 0xFF), so by default we do too.
 */
import alawmulaw from 'alawmulaw';

export const FRAME_BYTES = 160; // 20 ms of μ-law at 8 kHz
export const ULAW_SILENCE = 0xff;

export type CallerAudio = { ulaw?: Uint8Array; pcm8k?: Int16Array };

export function toUlaw(audio: CallerAudio): Uint8Array {
  if (audio.ulaw && audio.pcm8k) throw new Error('caller audio: give ulaw or pcm8k, not both');
  if (audio.ulaw) return audio.ulaw;
  if (audio.pcm8k) return alawmulaw.mulaw.encode(audio.pcm8k);
  return new Uint8Array(0);
}

interface Clip {
  bytes: Uint8Array;
  offset: number;
  done: () => void;
}

export class CallerAudioQueue {
  private readonly clips: Clip[] = [];
  private readonly silence = new Uint8Array(FRAME_BYTES).fill(ULAW_SILENCE);

  constructor(private keepStreaming: boolean) {}

  /** Queues speech; resolves once its last frame has been handed out. */
  enqueue(ulaw: Uint8Array): Promise<void> {
    if (ulaw.byteLength === 0) return Promise.resolve();
    return new Promise((done) => this.clips.push({ bytes: ulaw, offset: 0, done }));
  }

  /** After the queued speech, stop the stream's frames instead of sending silence. */
  stopWhenDrained(): void {
    this.keepStreaming = false;
  }

  get pendingBytes(): number {
    return this.clips.reduce((n, c) => n + c.bytes.byteLength - c.offset, 0);
  }

  /** Next 160-byte frame, or undefined when drained and not keeping the line open. */
  nextFrame(): Uint8Array | undefined {
    if (this.clips.length === 0) return this.keepStreaming ? this.silence : undefined;
    const frame = new Uint8Array(FRAME_BYTES).fill(ULAW_SILENCE);
    let filled = 0;
    while (filled < FRAME_BYTES && this.clips.length > 0) {
      const clip = this.clips[0]!;
      const take = Math.min(FRAME_BYTES - filled, clip.bytes.byteLength - clip.offset);
      frame.set(clip.bytes.subarray(clip.offset, clip.offset + take), filled);
      filled += take;
      clip.offset += take;
      if (clip.offset >= clip.bytes.byteLength) {
        this.clips.shift();
        clip.done();
      }
    }
    return frame;
  }

  /** Resolves every pending clip so nobody awaits audio that will never be sent. */
  drop(): void {
    for (const clip of this.clips.splice(0)) clip.done();
  }
}
