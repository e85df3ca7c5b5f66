import createFvadModule, { type FvadModule } from '@echogarden/fvad-wasm';
import type { FrameClassifier } from '../../media/speech-detector.js';

/**
 * WebRTC VAD (libfvad compiled to WASM) as a FrameClassifier.
 *
 * Memory model, because a bridge runs for weeks and hosts many calls:
 * - one WASM module per process, loaded on first use and shared;
 * - one fvad handle (its GMM noise/speech state) per call,
 *   freed by dispose();
 * - one input buffer in WASM memory, allocated once and shared by all handles.
 *   Sharing is safe because isSpeech() copies and classifies synchronously and
 *   JavaScript never interleaves two calls on one thread.
 */

export type FvadMode = 0 | 1 | 2 | 3;
export type FvadSampleRate = 8000 | 16000 | 32000 | 48000;

export interface WebRtcVadOptions {
  /** Aggressiveness: 0 lets most audio through as speech, 3 is the strictest. */
  mode: FvadMode;
  sampleRate: FvadSampleRate;
}

export interface WebRtcVad extends FrameClassifier {
  /** Forget the adapted noise model, e.g. when the stream is reused. */
  reset(): void;
  /** Frees the fvad handle. Safe to call twice; isSpeech() throws afterwards. */
  dispose(): void;
  toString(): string;
}

// 30 ms at 48 kHz, the longest frame libfvad accepts.
const MAX_FRAME_SAMPLES = 1440;

interface Shared {
  module: FvadModule;
  inputPtr: number;
}

let shared: Promise<Shared> | undefined;
let liveHandles = 0;

function loadShared(): Promise<Shared> {
  shared ??= createFvadModule().then((module) => {
    const inputPtr = module._malloc(MAX_FRAME_SAMPLES * 2);
    if (inputPtr === 0) throw new Error('fvad: cannot allocate the input buffer');
    return { module, inputPtr };
  });
  // A failed load must not poison every later call.
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

// Safety net for a call that forgets dispose(): without it a leaked handle
// would stay in the WASM heap until the process exits.
const leakGuard = new FinalizationRegistry<{ module: FvadModule; handle: number }>(
  ({ module, handle }) => {
    module._fvad_free(handle);
    liveHandles--;
  },
);

export async function createWebRtcVad(options: WebRtcVadOptions): Promise<WebRtcVad> {
  const { module, inputPtr } = await loadShared();
  const handle = module._fvad_new();
  if (handle === 0) throw new Error('fvad: out of WASM memory');
  liveHandles++;
  if (
    module._fvad_set_mode(handle, options.mode) !== 0 ||
    module._fvad_set_sample_rate(handle, options.sampleRate) !== 0
  ) {
    module._fvad_free(handle);
    liveHandles--;
    throw new RangeError(`fvad: unsupported mode ${options.mode} or rate ${options.sampleRate}`);
  }
  return new FvadClassifier(module, inputPtr, handle, options);
}

/** Handles not yet freed, process-wide. For tests and a metrics gauge. */
export function webRtcVadLiveHandles(): number {
  return liveHandles;
}

class FvadClassifier implements WebRtcVad {
  #handle: number;
  readonly #token = {};

  constructor(
    private readonly module: FvadModule,
    private readonly inputPtr: number,
    handle: number,
    private readonly options: WebRtcVadOptions,
  ) {
    this.#handle = handle;
    leakGuard.register(this, { module, handle }, this.#token);
  }

  isSpeech(frame: Int16Array): boolean {
    if (this.#handle === 0) throw new Error('fvad: isSpeech() after dispose()');
    if (frame.length > MAX_FRAME_SAMPLES) throw new RangeError(`fvad: ${frame.length}-sample frame`);
    // Read HEAP16 every time: growing WASM memory (any malloc) replaces it.
    this.module.HEAP16.set(frame, this.inputPtr >> 1);
    const verdict = this.module._fvad_process(this.#handle, this.inputPtr, frame.length);
    if (verdict < 0) {
      throw new RangeError(
        `fvad: ${frame.length} samples is not 10, 20 or 30 ms at ${this.options.sampleRate} Hz`,
      );
    }
    return verdict === 1;
  }

  reset(): void {
    if (this.#handle === 0) return;
    // fvad_reset also restores the default mode and rate, so set them again.
    this.module._fvad_reset(this.#handle);
    this.module._fvad_set_mode(this.#handle, this.options.mode);
    this.module._fvad_set_sample_rate(this.#handle, this.options.sampleRate);
  }

  dispose(): void {
    if (this.#handle === 0) return;
    leakGuard.unregister(this.#token);
    this.module._fvad_free(this.#handle);
    this.#handle = 0;
    liveHandles--;
  }

  toString(): string {
    return `webrtc-vad(mode ${this.options.mode}, ${this.options.sampleRate} Hz)`;
  }
}
