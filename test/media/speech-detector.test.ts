import alawmulaw from 'alawmulaw';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpeechDetector, type FrameClassifier, type SpeechEvent } from '../../media/speech-detector.js';
import { createCallerSpeechDetector } from '../../src/media-adapters/caller-speech-detector.js';
import { missingToolsReason } from '../support/tools.js';
import * as A from './vad-test-audio.js';

/** Classifier that plays back a script of verdicts, one per call. */
class Scripted implements FrameClassifier {
  calls = 0;
  constructor(private readonly script: string) {}
  isSpeech(): boolean {
    return this.script[this.calls++ % this.script.length] === '1';
  }
}

const loud = new Int16Array(160).fill(3000);
function pushScript(d: SpeechDetector, frames: number, frame = loud, stepMs = 20, t0 = 0) {
  const events: SpeechEvent[] = [];
  for (let i = 1; i <= frames; i++) {
    const e = d.push(frame, t0 + i * stepMs);
    if (e) events.push(e);
  }
  return events;
}

describe('SpeechDetector smoothing (scripted classifier)', () => {
  it('needs 120 ms voiced within 200 ms to start: 5 voiced frames of 20 ms are not enough', () => {
    // fvad marks the first 4 frames of any stream voiced; this must never start speech.
    const d = new SpeechDetector(new Scripted('11111' + '0'.repeat(45)));
    expect(pushScript(d, 50)).toEqual([]);
    expect(d.speaking).toBe(false);
    expect(d.lastSpeechAtMs).toBeUndefined();
  });

  it('starts on the 6th voiced frame and reports where the voiced run began', () => {
    const d = new SpeechDetector(new Scripted('0000' + '1'.repeat(100)));
    const events = pushScript(d, 20);
    expect(events).toEqual([{ type: 'speech-start', atMs: 200, onsetAtMs: 80 }]);
    expect(d.speaking).toBe(true);
    expect(d.lastSpeechAtMs).toBe(400); // the last of the 20 pushed frames
  });

  it('tolerates unvoiced gaps inside the onset window (6 of 10 frames)', () => {
    const d = new SpeechDetector(new Scripted('1101101101'));
    expect(pushScript(d, 10).map((e) => e.type)).toEqual(['speech-start']);
  });

  it('ends after 500 ms without voiced frames, and a single voiced frame restarts the hangover', () => {
    const script = '1'.repeat(10) + '0'.repeat(20) + '1' + '0'.repeat(40);
    const d = new SpeechDetector(new Scripted(script));
    const events = pushScript(d, script.length);
    // Voiced frames end at 200 ms and 620 ms; speech ends 500 ms after the last.
    expect(events).toEqual([
      { type: 'speech-start', atMs: 120, onsetAtMs: 0 },
      { type: 'speech-end', atMs: 1120, lastSpeechAtMs: 620 },
    ]);
    expect(d.lastSpeechAtMs).toBe(620);
  });

  it('isolated voiced frames (1 in 4) never start speech nor move lastSpeechAtMs', () => {
    const d = new SpeechDetector(new Scripted('1000'));
    expect(pushScript(d, 1000)).toEqual([]);
    expect(d.lastSpeechAtMs).toBeUndefined();
  });

  it('gates digital silence without calling the classifier', () => {
    const classifier = new Scripted('1');
    const d = new SpeechDetector(classifier);
    expect(pushScript(d, 100, new Int16Array(160))).toEqual([]);
    expect(classifier.calls).toBe(0);
  });

  it('accepts 10 and 30 ms frames with the same timing in milliseconds', () => {
    for (const samples of [80, 240]) {
      const stepMs = samples / 8;
      const d = new SpeechDetector(new Scripted('1'));
      const [start] = pushScript(d, 30, new Int16Array(samples).fill(3000), stepMs);
      // 120 ms of voiced audio either way: 12 frames of 10 ms or 4 of 30 ms.
      expect(start).toEqual({ type: 'speech-start', atMs: 120, onsetAtMs: 0 });
    }
  });

  it('prints its chain', () => {
    const d = new SpeechDetector({ isSpeech: () => false, toString: () => 'fake' } as FrameClassifier);
    expect(String(d)).toBe('speech-detector(fake, onset 120/200 ms, hangover 500 ms, gate -60 dBFS)');
  });
});

// --- Real audio: espeak-ng speech, sox noise, G.711 μ-law, real WebRTC VAD ---
// The full caller chain (gate → NoiseFloorLimiter → fvad mode 2 → smoothing).
// Measured (sox -R noise, so repeatable):
//   10 dB SNR, speech at -40/-30/-20 dBFS, white/pink/brown: 2 of 2 utterances,
//     96.0-96.5 % of speech-active frames inside a segment (the rest is onset latency)
//   noise alone, white/pink/brown at -60…-10 dBFS: 0 segments
//   soft talker -40 dBFS at 5 dB SNR: white/pink 2 segments 95.7 %, brown 3 segments 88 %
//   noise steps (e.g. -55 → -20 dBFS): one segment of 0.9-1.7 s

const skip = missingToolsReason(['sox', 'espeak-ng']);
const KINDS: A.NoiseKind[] = ['whitenoise', 'pinknoise', 'brownnoise'];

interface Run {
  segments: Array<[number, number]>;
  coverage: number; // share of speech-active frames inside a segment
}

async function detect(audio: Int16Array, active?: boolean[]): Promise<Run> {
  const { detector, dispose } = await createCallerSpeechDetector();
  const segments: Array<[number, number]> = [];
  let covered = 0;
  let frame = 0;
  for (const f of A.frames(audio)) {
    const e = detector.push(f, (frame + 1) * 20);
    if (e?.type === 'speech-start') segments.push([e.onsetAtMs, Infinity]);
    if (e?.type === 'speech-end') segments[segments.length - 1][1] = e.lastSpeechAtMs;
    if (active?.[frame] && detector.speaking) covered++;
    frame++;
  }
  dispose();
  const activeCount = active?.filter(Boolean).length ?? 0;
  return { segments, coverage: activeCount ? covered / activeCount : NaN };
}

describe.skipIf(skip)('SpeechDetector + WebRTC VAD on real audio through μ-law', () => {
  let clean: Int16Array;
  let active: boolean[];
  const noise = {} as Record<A.NoiseKind, Int16Array>;
  const log: string[] = [];

  beforeAll(() => {
    // Two utterances with 2 s of silence between: the right answer is two segments.
    clean = A.concat(
      A.silence(1),
      A.speak('Hello, I am calling about my appointment next Tuesday. Could you move it to the afternoon please?'),
      A.silence(2),
      A.speak('Yes, that works for me. Thank you very much, goodbye.'),
      A.silence(1),
    );
    active = A.activeFrames(clean);
    for (const k of KINDS) noise[k] = A.soxNoise(k, clean.length / A.RATE + 1);
  });
  afterEach(() => {
    if (log.length) console.log(log.splice(0).join('\n'));
  });

  it.each(KINDS)('finds both utterances in speech + %s at 10 dB SNR', async (kind) => {
    for (const speechDbfs of [-40, -30, -20]) {
      const mix = A.throughMulaw(A.mixAtSnr(clean, noise[kind], 10, speechDbfs));
      const run = await detect(mix, active);
      log.push(`${kind} 10 dB SNR, speech ${speechDbfs} dBFS: ${run.segments.length} segments, ${(run.coverage * 100).toFixed(1)} % of active frames in speech`);
      // Measured: 2 segments and 96-97 % coverage for all three noises and levels.
      expect(run.segments).toHaveLength(2);
      expect(run.coverage).toBeGreaterThanOrEqual(0.9);
    }
  });

  it.each(KINDS)('finds no speech in %s alone, quiet to very loud', async (kind) => {
    for (const levelDbfs of [-60, -50, -40, -30, -20, -10]) {
      const run = await detect(A.throughMulaw(A.noiseAt(noise[kind], levelDbfs)));
      expect(run.segments, `${kind} at ${levelDbfs} dBFS`).toEqual([]);
    }
  });

  it('finds no speech in comfort-noise-like hiss (-65 dBFS pink) or in digital and μ-law silence', async () => {
    const hiss = A.throughMulaw(A.noiseAt(noise.pinknoise, -65));
    const mulawSilence = alawmulaw.mulaw.decode(new Uint8Array(A.RATE * 10).fill(0xff));
    for (const audio of [hiss, new Int16Array(A.RATE * 10), mulawSilence]) {
      expect((await detect(audio)).segments).toEqual([]);
    }
  });

  it('stays in speech for a soft talker (-40 dBFS) over white and pink noise at 5 dB SNR', async () => {
    for (const kind of ['whitenoise', 'pinknoise'] as const) {
      const run = await detect(A.throughMulaw(A.mixAtSnr(clean, noise[kind], 5, -40)), active);
      log.push(`soft talker over ${kind} at 5 dB SNR: ${run.segments.length} segments, ${(run.coverage * 100).toFixed(1)} %`);
      expect(run.segments).toHaveLength(2); // one per utterance: no drop-outs mid-sentence
      expect(run.coverage).toBeGreaterThanOrEqual(0.9);
    }
    // Brown noise (energy where voiced speech is) is harder: measured 3 segments, 87 %.
    const brown = await detect(A.throughMulaw(A.mixAtSnr(clean, noise.brownnoise, 5, -40)), active);
    log.push(`soft talker over brownnoise at 5 dB SNR: ${brown.segments.length} segments, ${(brown.coverage * 100).toFixed(1)} %`);
    expect(brown.segments.length).toBeLessThanOrEqual(3);
    expect(brown.coverage).toBeGreaterThanOrEqual(0.8);
  });

  it.each(KINDS)('a step from quiet to loud %s costs at most one segment shorter than 2 s', async (kind) => {
    // Known limit: no VAD can tell a step in noise level from an onset at
    // first; the limiter re-learns the floor within its 1 s window.
    // Measured: one segment of 0.9-1.6 s for each of these steps.
    for (const [before, after] of [[-55, -20], [-60, -30], [-50, -35], [-45, -10]]) {
      const quiet = A.noiseAt(noise[kind].subarray(0, 2 * A.RATE), before);
      const loudNoise = A.noiseAt(noise[kind].subarray(2 * A.RATE), after);
      const run = await detect(A.throughMulaw(A.concat(quiet, loudNoise)));
      log.push(`${kind} step ${before} → ${after} dBFS: segments ${JSON.stringify(run.segments)}`);
      expect(run.segments.length).toBeLessThanOrEqual(1);
      for (const [from, to] of run.segments) expect(to - from).toBeLessThan(2000);
    }
  });
});
