import type { FrameClassifier } from './speech-detector.js';

/**
 * Keeps loud stationary noise inside the range the WebRTC VAD can model.
 *
 * WHY: the WebRTC VAD clamps its noise model's means (kMaximumNoise in
 * vad_core.c), so it cannot learn noise louder than about -32 dBFS: measured
 * on sox white/pink/brown noise through μ-law, every frame of noise at
 * -30 dBFS or above is "speech" in every mode. Speech-to-noise ratio is what
 * tells speech from noise, and a gain does not change it, so this stage tracks
 * the noise floor and, when the floor is above `maxFloorDbfs`, attenuates the
 * frame so the floor sits there before the inner classifier sees it.
 *
 * Why -50 and not just under the -32 dBFS limit: the VAD's noise model adapts
 * slowly, so what it sees as a step in noise level reads as speech for
 * seconds. With the floor held at -50 dBFS, noise stepping from -55/-60 up to
 * -20/-30 dBFS produced one segment of 0.9-1.6 s (it lasts about one window);
 * held at -40 the same steps produced 3-4.7 s of "speech". Speech at 10 dB
 * SNR stays at ≥ -40 dBFS, which mode 2 still detects (96 % of active frames).
 *
 * The floor is "minimum statistics": the quietest frame of the last
 * `windowMs`. Speech has pauses between syllables and words, so over a second
 * the minimum is the noise, not the talker. A talker with no pause at all is
 * only attenuated until their quietest frame sits at maxFloorDbfs, where the
 * VAD still hears them.
 */
export interface NoiseFloorLimiterOptions {
  /** Loudest noise floor handed to the inner classifier. */
  maxFloorDbfs?: number;
  /** Span of the minimum search; also how long a sudden loud noise can pass unattenuated. */
  windowMs?: number;
  sampleRate?: number;
}

const SUB_BLOCKS = 5;
const FULL_SCALE_SQUARED = 32768 * 32768;

export class NoiseFloorLimiter implements FrameClassifier {
  readonly #inner: FrameClassifier;
  readonly #maxFloorMeanSquare: number;
  readonly #subBlockMs: number;
  readonly #sampleRate: number;
  // Minimum mean square of each finished sub-block, as a ring; Infinity = empty.
  readonly #blockMins = new Float64Array(SUB_BLOCKS).fill(Infinity);
  #blockIndex = 0;
  #blockFilledMs = 0;
  #scratch = new Int16Array(0);
  #attenuationDb = 0;

  constructor(inner: FrameClassifier, options: NoiseFloorLimiterOptions = {}) {
    const { maxFloorDbfs = -50, windowMs = 1000, sampleRate = 8000 } = options;
    this.#inner = inner;
    this.#maxFloorMeanSquare = FULL_SCALE_SQUARED * 10 ** (maxFloorDbfs / 10);
    this.#subBlockMs = windowMs / SUB_BLOCKS;
    this.#sampleRate = sampleRate;
  }

  /** Attenuation applied to the last frame, in dB (0 when the floor is low). */
  get attenuationDb(): number {
    return this.#attenuationDb;
  }

  isSpeech(frame: Int16Array): boolean {
    const floor = this.#trackFloor(frame);
    if (floor <= this.#maxFloorMeanSquare) {
      this.#attenuationDb = 0;
      return this.#inner.isSpeech(frame);
    }
    const gain = Math.sqrt(this.#maxFloorMeanSquare / floor);
    this.#attenuationDb = -20 * Math.log10(gain);
    return this.#inner.isSpeech(this.#scaled(frame, gain));
  }

  toString(): string {
    return `noise-floor-limiter(${this.#inner})`;
  }

  /** Adds the frame to the minimum statistics; returns the floor as a mean square. */
  #trackFloor(frame: Int16Array): number {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
    const meanSquare = sum / frame.length;
    const mins = this.#blockMins;
    if (this.#blockFilledMs >= this.#subBlockMs) {
      // Start a new sub-block, forgetting the one a full window old.
      this.#blockIndex = (this.#blockIndex + 1) % SUB_BLOCKS;
      mins[this.#blockIndex] = Infinity;
      this.#blockFilledMs = 0;
    }
    if (meanSquare < mins[this.#blockIndex]) mins[this.#blockIndex] = meanSquare;
    this.#blockFilledMs += (frame.length * 1000) / this.#sampleRate;
    let floor = Infinity;
    for (let b = 0; b < SUB_BLOCKS; b++) if (mins[b] < floor) floor = mins[b];
    return floor;
  }

  #scaled(frame: Int16Array, gain: number): Int16Array {
    // Grown only when the frame size changes, so steady state never allocates.
    if (this.#scratch.length !== frame.length) this.#scratch = new Int16Array(frame.length);
    const out = this.#scratch;
    // gain < 1, so no overflow; the Int16Array store truncates, which is
    // below the μ-law quantisation the audio already went through.
    for (let i = 0; i < frame.length; i++) out[i] = frame[i] * gain;
    return out;
  }
}
