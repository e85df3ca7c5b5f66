import { g711Decoder, type G711Law } from '../../media/g711.js';
import type { SpeechDetector } from '../../media/speech-detector.js';
import type { Logger } from '../logger.js';

export type SpeechDetectorFactory = () => Promise<{ detector: SpeechDetector; dispose(): void }>;

/**
 * Voice activity on the caller's audio (for the silence timeout): decodes each
 * G.711 frame once and feeds the detector. Created asynchronously (the VAD is
 * WASM); frames before it is ready are simply not judged.
 */
export class CallerSpeech {
  private speech: { detector: SpeechDetector; dispose(): void } | undefined;
  private disposed = false;
  private readonly pcm = new Int16Array(240);
  private readonly decode: ReturnType<typeof g711Decoder>;

  constructor(law: G711Law, private readonly onSpeech: (atMs: number) => void) {
    this.decode = g711Decoder(law);
  }

  async start(create: SpeechDetectorFactory, log: Logger): Promise<void> {
    try {
      const speech = await create();
      if (this.disposed) return speech.dispose();
      this.speech = speech;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'voice activity detection unavailable; silence timeout off for this call');
    }
  }

  /** Judges one frame; returns the decoded PCM (valid until the next call) so the uplink need not decode again. */
  push(payload: Uint8Array, nowMs: number): Int16Array | undefined {
    const n = payload.length;
    if (!this.speech || (n !== 80 && n !== 160 && n !== 240)) return undefined; // the VAD takes 10/20/30 ms frames
    const pcm = this.pcm.subarray(0, n);
    this.decode(payload, pcm, n);
    this.speech.detector.push(pcm, nowMs);
    if (this.speech.detector.speaking) this.onSpeech(nowMs);
    return pcm;
  }

  dispose(): void {
    this.disposed = true;
    this.speech?.dispose();
  }
}
