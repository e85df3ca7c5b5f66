import { spawnSync } from 'node:child_process';
import alawmulaw from 'alawmulaw';

/**
 * Real test audio for the VAD tests: espeak-ng speech and sox noise, as 8 kHz
 * mono PCM16, plus the level arithmetic to mix them at an exact SNR.
 * (A local helper: test/support/audio-tools.ts was not there yet.)
 */

export const RATE = 8000;
export const FRAME = 160; // 20 ms
export type NoiseKind = 'whitenoise' | 'pinknoise' | 'brownnoise';

function run(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

function toInt16(buf: Buffer): Int16Array {
  // Copy: Buffer may share a pool slab with an odd byte offset.
  return new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

// -D: no dither, so digital silence stays exactly zero and runs are repeatable.
const RAW_8K = ['-D', '-r', `${RATE}`, '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', '-'];

/** espeak-ng speech resampled by sox to 8 kHz; espeak's own silence kept. */
export function speak(text: string, wordsPerMinute = 160): Int16Array {
  const wav = run('espeak-ng', ['-s', `${wordsPerMinute}`, '--stdout', text]);
  return toInt16(run('sox', ['-t', 'wav', '-', ...RAW_8K], wav));
}

/**
 * sox noise, band-limited to the telephone band like noise that crossed a
 * phone network. -R seeds sox's generator so every run gets the same noise.
 */
export function soxNoise(kind: NoiseKind, seconds: number, telephoneBand = true): Int16Array {
  const effects = ['synth', `${seconds}`, kind, 'vol', '0.1'];
  if (telephoneBand) effects.push('sinc', '300-3400');
  return toInt16(run('sox', ['-R', '-n', ...RAW_8K, ...effects]));
}

export function silence(seconds: number): Int16Array {
  return new Int16Array(Math.round(seconds * RATE));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

export const dbfs = (r: number): number => 20 * Math.log10(r / 32768 + 1e-12);

/**
 * Speech-active frames of a clean clip: frame RMS within 35 dB of the loudest
 * frame. This is our reference for "where the speech is" (a simplified form of
 * the ITU-T P.56 active level): it keeps quiet fricatives and drops espeak's
 * pauses, which are exact digital zero.
 */
export function activeFrames(clean: Int16Array): boolean[] {
  const levels: number[] = [];
  for (let i = 0; i + FRAME <= clean.length; i += FRAME) levels.push(rms(clean, i, i + FRAME));
  const floor = Math.max(...levels) * 10 ** (-35 / 20);
  return levels.map((l) => l > floor);
}

/** RMS over the speech-active frames only. */
export function activeRms(clean: Int16Array): number {
  let s = 0;
  let n = 0;
  activeFrames(clean).forEach((on, f) => {
    if (!on) return;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) s += clean[i] * clean[i];
    n += FRAME;
  });
  return Math.sqrt(s / n);
}

/** Gain that brings `x` (measured as `level`) to `targetDbfs`. */
export function scaleTo(x: Int16Array, level: number, targetDbfs: number): Float64Array {
  const g = (32768 * 10 ** (targetDbfs / 20)) / level;
  return Float64Array.from(x, (v) => v * g);
}

/**
 * speech + noise at exactly `snrDb`, where SNR = active speech RMS (speech-
 * active frames only, see activeFrames) over noise RMS (whole noise clip,
 * which is stationary). Counting speech pauses would flatter the SNR.
 * The speech is set to `speechDbfs` active level first; the sum is clipped.
 */
export function mixAtSnr(
  speech: Int16Array,
  noise: Int16Array,
  snrDb: number,
  speechDbfs = -20,
): Int16Array {
  if (noise.length < speech.length) throw new Error('noise clip shorter than speech');
  const s = scaleTo(speech, activeRms(speech), speechDbfs);
  const n = scaleTo(noise, rms(noise), speechDbfs - snrDb);
  return Int16Array.from(s, (v, i) => Math.max(-32768, Math.min(32767, Math.round(v + n[i]))));
}

/** Noise alone at a given RMS level. */
export function noiseAt(noise: Int16Array, levelDbfs: number): Int16Array {
  const n = scaleTo(noise, rms(noise), levelDbfs);
  return Int16Array.from(n, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

/** Through a G.711 μ-law encoder and decoder, as on a PSTN or Twilio leg. */
export function throughMulaw(x: Int16Array): Int16Array {
  return alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(x));
}

export function* frames(x: Int16Array, size = FRAME): Generator<Int16Array> {
  for (let i = 0; i + size <= x.length; i += size) yield x.subarray(i, i + size);
}
