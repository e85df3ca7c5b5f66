/**
 * Turns per-frame speech/no-speech verdicts into speech segments, for the
 * silence timeout ("no caller speech for N s") and for barge-in.
 *
 * A frame classifier alone is not enough: on phone noise the WebRTC VAD marks
 * isolated frames as voiced, and inside words it marks isolated frames as
 * unvoiced. So speech starts only when enough voiced time accumulates inside a
 * short sliding window (onset), and ends only after a run of unvoiced time
 * (hangover). The classifier is injected, which keeps this module pure: the
 * WASM VAD lives in src/media-adapters/webrtc-vad.ts.
 */

/** One frame's verdict. Implemented by the WebRTC VAD adapter, or a fake in tests. */
export interface FrameClassifier {
  isSpeech(frame: Int16Array): boolean;
}

export type SpeechEvent =
  /** atMs: when speech was confirmed; onsetAtMs: start of the first voiced frame in the window. */
  | { type: 'speech-start'; atMs: number; onsetAtMs: number }
  /** atMs: when the hangover ran out; lastSpeechAtMs: end of the last voiced frame. */
  | { type: 'speech-end'; atMs: number; lastSpeechAtMs: number };

export interface SpeechDetectorOptions {
  /** Samples per second of the pushed frames; frames of 10, 20 or 30 ms. */
  sampleRate?: number;
  /** Length of the sliding window the onset rule looks at. */
  onsetWindowMs?: number;
  /** Voiced time needed inside that window to declare speech. */
  onsetVoicedMs?: number;
  /** Unvoiced time after the last voiced frame before speech ends. */
  hangoverMs?: number;
  /**
   * Frames whose RMS is below this level (dBFS) count as unvoiced without
   * asking the classifier: digital and μ-law silence cost nothing.
   */
  gateDbfs?: number;
}

// Chosen from measurements on espeak-ng speech and sox noise through μ-law
// (test/media/speech-detector.test.ts). fvad calls the first 4 frames of any
// stream voiced and, after NoiseFloorLimiter, never more than 4 in a row in
// white/pink/brown noise at -60…-10 dBFS; so 6 voiced frames (120 ms) in 200 ms
// keeps noise out (80 ms let 1-3 false segments through per 30 s of noise),
// while speech at 10 dB SNR still starts within ~120 ms. A 400 ms hangover
// split utterances over brown noise; 500 ms keeps each utterance whole.
// The gate makes digital silence 7x cheaper (0.17 vs 1.2 µs/frame, bench/vad.ts).
export const DEFAULT_SPEECH_DETECTOR_OPTIONS: Required<SpeechDetectorOptions> = {
  sampleRate: 8000,
  onsetWindowMs: 200,
  onsetVoicedMs: 120,
  hangoverMs: 500,
  gateDbfs: -60,
};

const FULL_SCALE = 32768;

export class SpeechDetector {
  readonly #classifier: FrameClassifier;
  readonly #opts: Required<SpeechDetectorOptions>;
  readonly #gateSumSquares: number;
  readonly #window: OnsetWindow;
  #speaking = false;
  #lastSpeechAtMs: number | undefined;

  constructor(classifier: FrameClassifier, options: SpeechDetectorOptions = {}) {
    this.#classifier = classifier;
    this.#opts = { ...DEFAULT_SPEECH_DETECTOR_OPTIONS, ...options };
    const { onsetWindowMs, onsetVoicedMs, hangoverMs, sampleRate } = this.#opts;
    if (!(onsetVoicedMs > 0 && onsetVoicedMs <= onsetWindowMs && hangoverMs >= 0 && sampleRate > 0)) {
      throw new RangeError('speech detector: need 0 < onsetVoicedMs <= onsetWindowMs, hangoverMs >= 0');
    }
    // Compare sums of squares, so the hot path needs no sqrt or log.
    this.#gateSumSquares = (FULL_SCALE * 10 ** (this.#opts.gateDbfs / 20)) ** 2;
    this.#window = new OnsetWindow(onsetWindowMs);
  }

  /** True from speech-start until speech-end. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /**
   * End time of the last voiced frame that belonged to confirmed speech;
   * undefined until the first speech-start. Isolated voiced frames in noise
   * never move it, so line noise cannot hold off the silence timeout.
   */
  get lastSpeechAtMs(): number | undefined {
    return this.#lastSpeechAtMs;
  }

  /** Classifies one frame that ended at nowMs (a monotonic clock). */
  push(frame: Int16Array, nowMs: number): SpeechEvent | undefined {
    const frameMs = (frame.length * 1000) / this.#opts.sampleRate;
    const voiced = this.#classify(frame);
    this.#window.push(frameMs, voiced, nowMs);
    if (this.#speaking) {
      if (voiced) {
        this.#lastSpeechAtMs = nowMs;
        return undefined;
      }
      const lastSpeechAtMs = this.#lastSpeechAtMs as number;
      if (nowMs - lastSpeechAtMs < this.#opts.hangoverMs) return undefined;
      this.#speaking = false;
      this.#window.clear();
      return { type: 'speech-end', atMs: nowMs, lastSpeechAtMs };
    }
    if (this.#window.voicedMs < this.#opts.onsetVoicedMs) return undefined;
    this.#speaking = true;
    this.#lastSpeechAtMs = this.#window.lastVoicedAtMs;
    return { type: 'speech-start', atMs: nowMs, onsetAtMs: this.#window.firstVoicedStartMs };
  }

  /** Back to silence without an event, e.g. when a stream restarts. */
  reset(): void {
    this.#speaking = false;
    this.#window.clear();
  }

  toString(): string {
    const o = this.#opts;
    return `speech-detector(${this.#classifier}, onset ${o.onsetVoicedMs}/${o.onsetWindowMs} ms, hangover ${o.hangoverMs} ms, gate ${o.gateDbfs} dBFS)`;
  }

  #classify(frame: Int16Array): boolean {
    let sumSquares = 0;
    for (let i = 0; i < frame.length; i++) sumSquares += frame[i] * frame[i];
    if (sumSquares < this.#gateSumSquares * frame.length) return false;
    return this.#classifier.isSpeech(frame);
  }
}

/**
 * The last `spanMs` of frames: how much of it was voiced, and where the voiced
 * part starts. A fixed ring sized for 10 ms frames, so pushing never allocates.
 */
class OnsetWindow {
  readonly #durations: Float64Array;
  readonly #endsAt: Float64Array;
  readonly #voiced: Uint8Array;
  #head = 0; // index of the oldest entry
  #count = 0;
  #spanTotalMs = 0;
  voicedMs = 0;
  lastVoicedAtMs = 0;

  constructor(private readonly spanMs: number) {
    const capacity = Math.ceil(spanMs / 10) + 1;
    this.#durations = new Float64Array(capacity);
    this.#endsAt = new Float64Array(capacity);
    this.#voiced = new Uint8Array(capacity);
  }

  push(frameMs: number, voiced: boolean, endAtMs: number): void {
    if (this.#count === this.#durations.length) this.#dropOldest();
    const i = (this.#head + this.#count) % this.#durations.length;
    this.#durations[i] = frameMs;
    this.#endsAt[i] = endAtMs;
    this.#voiced[i] = voiced ? 1 : 0;
    this.#count++;
    this.#spanTotalMs += frameMs;
    if (voiced) {
      this.voicedMs += frameMs;
      this.lastVoicedAtMs = endAtMs;
    }
    while (this.#spanTotalMs > this.spanMs + 1e-6) this.#dropOldest();
  }

  /** Start time of the oldest voiced frame still in the window. */
  get firstVoicedStartMs(): number {
    for (let k = 0; k < this.#count; k++) {
      const i = (this.#head + k) % this.#durations.length;
      if (this.#voiced[i]) return this.#endsAt[i] - this.#durations[i];
    }
    return this.lastVoicedAtMs;
  }

  clear(): void {
    this.#head = 0;
    this.#count = 0;
    this.#spanTotalMs = 0;
    this.voicedMs = 0;
  }

  #dropOldest(): void {
    const i = this.#head;
    this.#spanTotalMs -= this.#durations[i];
    if (this.#voiced[i]) this.voicedMs -= this.#durations[i];
    this.#head = (i + 1) % this.#durations.length;
    this.#count--;
  }
}
