/**
 * Test audio made by real outside tools: espeak-ng (speech) and sox
 * (conversion, codecs). Everything goes through stdin/stdout pipes, no temp
 * files. Sync on purpose: tests call these in `beforeAll`.
 *
 * Skipping: guard suites with `missingToolsReason(['sox', 'espeak-ng'])` from
 * `./tools.js` (or `haveAudioTools()` below), e.g.
 *   describe.skipIf(!haveAudioTools())('...', () => { ... })
 *
 * Byte order: raw s16 from sox is little-endian (`-L` is forced), and the
 * Int16Array views assume a little-endian host (x86/arm64 — every target).
 */
import { spawnSync } from 'node:child_process';
import { seededRandom } from '../../tools/reference-agent/chunks.js';
import { haveTool } from './tools.js';

export function haveAudioTools(): boolean {
  return haveTool('sox') && haveTool('espeak-ng');
}

/** A raw sox stream format: encoding, rate and (default 1) channels. */
export interface RawFormat {
  /** s16 = signed 16-bit LE, ul = G.711 μ-law, al = G.711 A-law, f32 = float LE. */
  type: 's16' | 'ul' | 'al' | 'f32';
  rate: number;
  channels?: number;
}

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  }
  return r.stdout;
}

function rawArgs(f: RawFormat): string[] {
  const enc = f.type === 's16' ? ['-t', 's16', '-L'] : f.type === 'f32' ? ['-t', 'f32', '-L'] : ['-t', f.type];
  return [...enc, '-r', String(f.rate), '-c', String(f.channels ?? 1)];
}

/** Copy a Buffer into a fresh, aligned Int16Array (LE host assumed). */
export function bytesToInt16(b: Uint8Array): Int16Array {
  const copy = new Uint8Array(b.length & ~1);
  copy.set(b.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

export function int16ToBytes(x: Int16Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

/**
 * Convert raw audio with sox, dither OFF (`-D`) so results are deterministic.
 * `effects` are appended after the output (e.g. ['rate', '-v']); a rate
 * change between `from` and `to` uses sox's default `rate` effect.
 * Returns the raw output bytes.
 */
export function soxConvert(input: Uint8Array, from: RawFormat, to: RawFormat, effects: string[] = []): Uint8Array {
  return run('sox', ['-D', ...rawArgs(from), '-', ...rawArgs(to), '-', ...effects], input);
}

/** `soxConvert` for PCM16 in and PCM16 out (e.g. a reference resample). */
export function soxResample(pcm: Int16Array, inRate: number, outRate: number, effects: string[] = []): Int16Array {
  const out = soxConvert(int16ToBytes(pcm), { type: 's16', rate: inRate }, { type: 's16', rate: outRate }, effects);
  return bytesToInt16(out);
}

export interface SpeechOptions {
  /** Output sample rate (Hz); default 8000. */
  rate?: number;
  /** espeak-ng voice, default 'en-us'. */
  voice?: string;
  /** Speaking speed in words per minute, default 160. */
  wpm?: number;
}

const speechCache = new Map<string, Int16Array>();

/**
 * Real synthetic speech: `espeak-ng --stdout` (22.05 kHz WAV) piped into
 * `sox -D` to mono s16 at `rate` with dither OFF. Deterministic for a given
 * espeak-ng/sox version. Cached per process; returns a fresh copy each call.
 */
export function speechWav(text: string, opts: SpeechOptions = {}): Int16Array {
  const rate = opts.rate ?? 8000;
  const key = `${text}|${rate}|${opts.voice ?? ''}|${opts.wpm ?? ''}`;
  let pcm = speechCache.get(key);
  if (!pcm) {
    const wav = run('espeak-ng', ['--stdout', '-v', opts.voice ?? 'en-us', '-s', String(opts.wpm ?? 160), text]);
    pcm = bytesToInt16(run('sox', ['-D', '-t', 'wav', '-', ...rawArgs({ type: 's16', rate }), '-'], wav));
    speechCache.set(key, pcm);
  }
  return pcm.slice();
}

/** Deterministic PRNG (mulberry32) so noisy tests are reproducible: the reference agent's own. */
export { seededRandom };

/**
 * White Gaussian noise as Float64Array with the given RMS (sample units),
 * reproducible from `seed` (Box-Muller over `seededRandom`).
 */
export function noise(length: number, rmsLevel: number, seed = 1): Float64Array {
  const rnd = seededRandom(seed);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i += 2) {
    const u1 = Math.max(rnd(), 1e-12), u2 = rnd();
    const r = Math.sqrt(-2 * Math.log(u1)) * rmsLevel;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Round and clamp to int16. */
export function toInt16(x: ArrayLike<number>): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i]!);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * Mix `noiseSignal` under `signal` so that the signal-to-noise ratio (RMS over
 * the whole of each, `noiseSignal` scaled) is `snrDb`. Lengths: result has the
 * signal's length; noise must be at least as long. Rounded and clamped to int16.
 */
export function mixAtSnr(signal: Int16Array, noiseSignal: ArrayLike<number>, snrDb: number): Int16Array {
  const n = signal.length;
  if (noiseSignal.length < n) throw new Error('mixAtSnr: noise shorter than signal');
  let ps = 0, pn = 0;
  for (let i = 0; i < n; i++) {
    ps += signal[i]! * signal[i]!;
    pn += noiseSignal[i]! * noiseSignal[i]!;
  }
  const gain = pn > 0 ? Math.sqrt(ps / pn / 10 ** (snrDb / 10)) : 0;
  const mixed = new Float64Array(n);
  for (let i = 0; i < n; i++) mixed[i] = signal[i]! + gain * noiseSignal[i]!;
  return toInt16(mixed);
}

/** Concatenate PCM16 pieces (e.g. silence + speech + silence) into one array. */
export function concatInt16(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
