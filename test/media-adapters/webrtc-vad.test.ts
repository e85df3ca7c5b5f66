import { beforeAll, describe, expect, it } from 'vitest';
import {
  createWebRtcVad,
  webRtcVadLiveHandles,
  type FvadMode,
} from '../../src/media-adapters/webrtc-vad.js';
import { missingToolsReason } from '../support/tools.js';
import * as A from '../media/vad-test-audio.js';

/** Share of frames the raw VAD calls voiced; only frames where `mask` is true if given. */
async function voicedShare(mode: FvadMode, audio: Int16Array, mask?: boolean[]): Promise<number> {
  const vad = await createWebRtcVad({ mode, sampleRate: 8000 });
  let voiced = 0;
  let counted = 0;
  let i = 0;
  for (const f of A.frames(audio)) {
    const v = vad.isSpeech(f);
    if (!mask || mask[i]) {
      voiced += +v;
      counted++;
    }
    i++;
  }
  vad.dispose();
  return voiced / counted;
}

describe('createWebRtcVad: lifecycle and WASM memory', () => {
  it('accepts 10, 20 and 30 ms frames and rejects other lengths', async () => {
    const vad = await createWebRtcVad({ mode: 2, sampleRate: 8000 });
    for (const n of [80, 160, 240]) expect(vad.isSpeech(new Int16Array(n))).toBe(false);
    expect(() => vad.isSpeech(new Int16Array(200))).toThrow(RangeError);
    expect(() => vad.isSpeech(new Int16Array(5000))).toThrow(RangeError);
    vad.dispose();
  });

  it('rejects a mode or rate libfvad does not support, without leaking the handle', async () => {
    const before = webRtcVadLiveHandles();
    await expect(createWebRtcVad({ mode: 4 as FvadMode, sampleRate: 8000 })).rejects.toThrow(RangeError);
    await expect(createWebRtcVad({ mode: 1, sampleRate: 11025 as 8000 })).rejects.toThrow(RangeError);
    expect(webRtcVadLiveHandles()).toBe(before);
  });

  it('frees its handle on dispose, once, and refuses work afterwards', async () => {
    const before = webRtcVadLiveHandles();
    const vads = await Promise.all(Array.from({ length: 500 }, () => createWebRtcVad({ mode: 2, sampleRate: 8000 })));
    expect(webRtcVadLiveHandles()).toBe(before + 500);
    for (const v of vads) v.dispose();
    vads[0].dispose();
    expect(webRtcVadLiveHandles()).toBe(before);
    expect(() => vads[0].isSpeech(new Int16Array(160))).toThrow(/after dispose/);
  });

  it('prints itself for the media chain log line', async () => {
    const vad = await createWebRtcVad({ mode: 3, sampleRate: 8000 });
    expect(String(vad)).toBe('webrtc-vad(mode 3, 8000 Hz)');
    vad.dispose();
  });
});

// Measured voiced-frame rates, raw fvad, μ-law, 20 ms frames (printed by the
// test below). Speech at -25 dBFS with noise at 10 dB SNR / noise alone at -35
// and -25 dBFS:
//   mode 0: 95.6-96.4 % | 21-32 % | 100 %
//   mode 1: 94.4-94.8 % | 0.8-5.7 % | 100 %
//   mode 2: 89.9-92.3 % | 0.5-1.1 % | 100 %   <- chosen
//   mode 3: 88.3-92.3 % | 0.5-1.1 % | 100 %, and only 7-18 % at -45 dBFS speech
// The 0.5 % floor is fvad's first 4 frames, always voiced. Noise ≥ -30 dBFS is
// always "speech": NoiseFloorLimiter handles that before fvad sees the frame.
const skip = missingToolsReason(['sox', 'espeak-ng']);
const KINDS: A.NoiseKind[] = ['whitenoise', 'pinknoise', 'brownnoise'];
const MODES: FvadMode[] = [0, 1, 2, 3];

describe.skipIf(skip)('WebRTC VAD frame decisions on real audio through μ-law', () => {
  let clean: Int16Array;
  let active: boolean[];
  const noise = {} as Record<A.NoiseKind, Int16Array>;

  beforeAll(() => {
    clean = A.concat(
      A.silence(1),
      A.speak('Hello, I am calling about my appointment next Tuesday. Could you move it to the afternoon please?'),
      A.silence(1),
    );
    active = A.activeFrames(clean);
    for (const k of KINDS) noise[k] = A.soxNoise(k, 15);
  });

  it('two streams share the input buffer without crosstalk; reset() restores a fresh state', async () => {
    const a = A.throughMulaw(A.mixAtSnr(clean, noise.pinknoise, 10, -25));
    const b = A.throughMulaw(A.noiseAt(noise.whitenoise, -45));
    const alone = async (x: Int16Array) => {
      const v = await createWebRtcVad({ mode: 2, sampleRate: 8000 });
      const out = [...A.frames(x)].map((f) => v.isSpeech(f));
      v.dispose();
      return out;
    };
    const [va, vb] = [await createWebRtcVad({ mode: 2, sampleRate: 8000 }), await createWebRtcVad({ mode: 2, sampleRate: 8000 })];
    const fa = [...A.frames(a)];
    const fb = [...A.frames(b)];
    const n = Math.min(fa.length, fb.length);
    const interleaved = { a: [] as boolean[], b: [] as boolean[] };
    for (let i = 0; i < n; i++) {
      interleaved.a.push(va.isSpeech(fa[i]));
      interleaved.b.push(vb.isSpeech(fb[i]));
    }
    expect(interleaved.a).toEqual((await alone(a)).slice(0, n));
    expect(interleaved.b).toEqual((await alone(b)).slice(0, n));
    va.reset();
    expect(fa.map((f) => va.isSpeech(f))).toEqual(await alone(a));
    va.dispose();
    vb.dispose();
  });

  // CPU-bound (4 modes x noise kinds x levels of VAD over whole files): a few seconds alone, several
  // times that beside other work on 2 cores, hence the longer deadline.
  it('measures voiced-frame rates per mode (printed), and mode 2 meets the targets', { timeout: 120_000 }, async () => {
    const rows: string[] = [];
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
    for (const mode of MODES) {
      for (const kind of KINDS) {
        // Speech at -25 dBFS active level, noise 10 dB under it at -35 dBFS.
        const hit = await voicedShare(mode, A.throughMulaw(A.mixAtSnr(clean, noise[kind], 10, -25)), active);
        const fp: string[] = [];
        const noiseShare = new Map<number, number>();
        for (const level of [-60, -45, -35, -25]) {
          noiseShare.set(level, await voicedShare(mode, A.throughMulaw(A.noiseAt(noise[kind], level))));
          fp.push(`${level}:${pct(noiseShare.get(level)!)}`);
        }
        rows.push(`mode ${mode} ${kind.padEnd(10)} speech@10dB ${pct(hit)} | noise alone ${fp.join(' ')}`);
        if (mode === 2) {
          expect(hit, `${kind}`).toBeGreaterThanOrEqual(0.8);
          for (const level of [-60, -45, -35]) expect(noiseShare.get(level), `${kind} at ${level} dBFS`).toBeLessThan(0.03);
        }
      }
    }
    console.log(`WebRTC VAD voiced frames, 8 kHz μ-law, 20 ms frames:\n${rows.join('\n')}`);
  });

  it('cannot model noise louder than about -30 dBFS in any mode (why NoiseFloorLimiter exists)', async () => {
    for (const mode of MODES) {
      for (const kind of KINDS) {
        const share = await voicedShare(mode, A.throughMulaw(A.noiseAt(noise[kind], -25)));
        expect(share, `mode ${mode} ${kind}`).toBeGreaterThan(0.9);
      }
    }
  });

  it('marks digital and μ-law silence unvoiced', async () => {
    expect(await voicedShare(2, new Int16Array(A.RATE * 5))).toBe(0);
    expect(await voicedShare(3, A.throughMulaw(new Int16Array(A.RATE * 5)))).toBe(0);
  });
});
