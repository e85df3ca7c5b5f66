import { SpeechDetector, type SpeechDetectorOptions } from '../../media/speech-detector.js';
import { NoiseFloorLimiter } from '../../media/noise-floor-limiter.js';
import { createWebRtcVad, type FvadMode } from './webrtc-vad.js';

/**
 * The tuned chain for one call's inbound (caller) audio at 8 kHz:
 * energy gate → noise-floor limiter → WebRTC VAD mode 2 → onset/hangover.
 * Mode 2 was chosen from measurements (test/media-adapters/webrtc-vad.test.ts):
 * mode 3 loses quiet talkers (7-18 % of frames at -45 dBFS), mode 1 lets
 * through more noise frames (5-7 % on white noise at -36..-34 dBFS).
 */
export interface CallerSpeechDetector {
  detector: SpeechDetector;
  /** Frees the VAD's WASM state; call once when the call ends. */
  dispose(): void;
}

export async function createCallerSpeechDetector(
  options: SpeechDetectorOptions & { mode?: FvadMode } = {},
): Promise<CallerSpeechDetector> {
  const { mode = 2, ...detectorOptions } = options;
  const vad = await createWebRtcVad({ mode, sampleRate: 8000 });
  const detector = new SpeechDetector(new NoiseFloorLimiter(vad, { sampleRate: 8000 }), {
    ...detectorOptions,
    sampleRate: 8000,
  });
  return { detector, dispose: () => vad.dispose() };
}
