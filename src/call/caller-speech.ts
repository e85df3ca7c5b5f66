import { Resampler } from '../../media/resampler.js';
import type { SpeechDetector } from '../../media/speech-detector.js';
import type { Logger } from '../logger.js';
import type { InboundAudio, LegCodec } from './call-leg.js';
import { legDecoder, legSampleRate, type LegDecode } from './leg-codec.js';

export type SpeechDetectorFactory = () => Promise<{ detector: SpeechDetector; dispose(): void }>;

/**
 * Voice activity on the caller's audio (for the silence timeout): decodes each
 * frame once and feeds the detector (at 8 kHz: G.722 audio is resampled for
 * it, while the uplink keeps its own 16 kHz decode). Created asynchronously (the VAD is
 * WASM); frames before it is ready are simply not judged.
 */
export class CallerSpeech {
  private speech: { detector: SpeechDetector; dispose(): void } | undefined;
  private disposed = false;
  private readonly pcm = new Int16Array(480);
  private readonly narrow = new Int16Array(480);
  private readonly decode: LegDecode;
  /** G.722 legs: 16 kHz → the detector's 8 kHz. */
  private readonly toDetectorRate: Resampler | undefined;

  constructor(private readonly codec: LegCodec, private readonly onSpeech: (atMs: number) => void) {
    this.decode = legDecoder(codec);
    this.toDetectorRate = legSampleRate(codec) === 8000 ? undefined : new Resampler(legSampleRate(codec), 8000);
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

  /**
   * Judges one frame; returns the decoded PCM at the leg's rate (valid until
   * the next call) so the uplink need not decode again. A stateful decoder
   * (G.722) is only this class's own, so its output is not shared.
   */
  push(frame: InboundAudio, nowMs: number): Int16Array | undefined {
    // Before the detector is ready (or if it failed) the bytes are not read: a Twilio frame then never needs decoding.
    if (!this.speech) return undefined;
    const payload = frame.payload;
    const n = payload.length;
    if (n !== 80 && n !== 160 && n !== 240) return undefined; // the VAD takes 10/20/30 ms frames
    const pcm = this.pcm.subarray(0, this.decode(payload, this.pcm));
    const narrow = this.toDetectorRate ? this.narrow.subarray(0, this.toDetectorRate.process(pcm, this.narrow)) : pcm;
    this.speech.detector.push(narrow, nowMs);
    if (this.speech.detector.speaking) this.onSpeech(nowMs);
    return this.codec === 'g722' ? undefined : pcm;
  }

  dispose(): void {
    this.disposed = true;
    this.speech?.dispose();
  }
}
