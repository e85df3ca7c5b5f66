/**
 * Polyphase coefficient banks for rational resampling by L/M, built once per
 * (inRate, outRate) and shared by every Resampler instance of that ratio.
 *
 * Telephony filter spec, relative to the LOWER of the two rates (Nyquist
 * f_N = min/2, i.e. 4 kHz on the 8 kHz side):
 * - passband edge 0.85 f_N (3.4 kHz: the top of the G.712 telephone channel),
 * - stopband edge 1.15 f_N (4.6 kHz), the mirror of the passband edge about
 *   f_N: a tone folds across f_N onto its mirror image, so everything that
 *   could land in the telephone channel (0–3.4 kHz) lies in the stopband
 *   (downsampling), and every image of channel audio lies at ≥ 4.6 kHz
 *   (upsampling). Only content above the channel (3.4–4.6 kHz) meets the
 *   transition band; a G.711 phone path does not carry it (G.712 channel).
 *   Against a 4.0 kHz edge this halves the filter length, the group delay
 *   (one-way 2.5 → 1.6 ms at 16 kHz) and the CPU per sample.
 * - ≥ 64 dB stopband (the requirement is ≥ 60 dB, the margin covers int16
 *   rounding of input and output).
 * - 2:1 ratios (16 kHz): an exact half-band equiripple design (equal pass and
 *   stop ripple, ±0.004 dB): half its taps are zero and one interpolation
 *   phase is a pure delay, see fir-kernels.ts.
 * - Other ratios: equiripple (Parks–McClellan) with ±0.04 dB passband ripple
 *   (≤ 0.1 dB required); ratios whose prototype would be thousands of taps
 *   long (44.1k/22.05k: L = 80/160 phases) use a 65 dB Kaiser window instead
 *   (ripple ±0.005 dB): Remez on that grid would be slow and numerically fragile.
 */
import { designLowpass, kaiserBeta, kaiserLength } from './fir-design.js';
import { remezLowpass } from './remez.js';

const PASS_EDGE = 0.85; // × f_N
const STOP_EDGE = 2 - PASS_EDGE; // × f_N: the passband edge mirrored about f_N
const REMEZ_STOP_DB = 64;
const REMEZ_RIPPLE_DB = 0.04; // ± around unity
const REMEZ_MAX_TAPS = 401;
const KAISER_STOP_DB = 65;

export interface PolyphaseBank {
  /** Interpolation factor (output rate / gcd). */
  readonly up: number;
  /** Decimation factor (input rate / gcd). */
  readonly down: number;
  /** Taps per phase (a multiple of 4 so the MAC loop needs no tail). */
  readonly taps: number;
  /** `up` phases of `taps` coefficients, each time-reversed (oldest sample first). */
  readonly coefs: Float64Array;
  /** After producing an output in phase p: input samples to advance. */
  readonly advance: Int32Array;
  /** After producing an output in phase p: the next phase. */
  readonly nextPhase: Int32Array;
  /** Filter group delay in output samples. */
  readonly delayOut: number;
  /** Which inner loop suits this ratio (see fir-kernels.ts). */
  readonly kind: 'decimate' | 'halfband-decimate' | 'halfband-interpolate' | 'generic';
  /** decimate: first half of the symmetric filter, centre tap last (length half+1). */
  readonly sym: Float64Array;
  /** decimate: taps − filter length (zeros in front of the window). */
  readonly symOffset: number;
  /** halfband-*: the non-zero side taps h[c+1], h[c+3], … of the half-band prototype. */
  readonly side: Float64Array;
}

const banks = new Map<string, PolyphaseBank>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The shared bank for a ratio (built on first use). */
export function polyphaseBank(inRate: number, outRate: number): PolyphaseBank {
  const key = `${inRate}->${outRate}`;
  let bank = banks.get(key);
  if (!bank) {
    bank = buildBank(inRate, outRate);
    banks.set(key, bank);
  }
  return bank;
}

function buildBank(inRate: number, outRate: number): PolyphaseBank {
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  const nyquist = Math.min(inRate, outRate) / 2;
  if (up * down === 2) return halfbandBank(up, halfbandPrototype(PASS_EDGE * nyquist, STOP_EDGE * nyquist, 4 * nyquist));
  const highRate = inRate * up; // the virtual rate the prototype runs at
  const proto = designPrototype(PASS_EDGE * nyquist, STOP_EDGE * nyquist, highRate, up === 1 ? down : 1);
  const length = proto.length;
  const taps = Math.ceil(Math.ceil(length / up) / 4) * 4;
  const coefs = splitPhases(proto, up, taps);
  const advance = new Int32Array(up);
  const nextPhase = new Int32Array(up);
  for (let p = 0; p < up; p++) {
    advance[p] = Math.floor((p + down) / up);
    nextPhase[p] = (p + down) % up;
  }
  const kind = up === 1 ? 'decimate' : 'generic';
  const symOffset = taps - length;
  const sym = kind === 'decimate' ? coefs.slice(symOffset, symOffset + (length + 1) / 2) : new Float64Array(0);
  const delayOut = (length - 1) / 2 / down;
  return { up, down, taps, coefs, advance, nextPhase, delayOut, kind, sym, symOffset, side: new Float64Array(0) };
}

/**
 * 2:1 either way. The kernels need only the side taps. Window: one phase of
 * 2M taps (up), or the filter padded to 4M+1 taps (down, see the kernel), so
 * both delays are whole output samples: 2M−1 at 16 kHz, M at 8 kHz.
 */
function halfbandBank(up: number, proto: Float64Array): PolyphaseBank {
  const m = (proto.length + 1) / 4; // length 4M − 1, centre 2M − 1
  const side = Float64Array.from({ length: m }, (_, j) => proto[2 * m + 2 * j]!);
  const interpolate = up === 2;
  return {
    up, down: interpolate ? 1 : 2, taps: interpolate ? 2 * m : 4 * m + 1,
    coefs: new Float64Array(0), advance: new Int32Array(0), nextPhase: new Int32Array(0),
    delayOut: interpolate ? 2 * m - 1 : m, kind: interpolate ? 'halfband-interpolate' : 'halfband-decimate',
    sym: new Float64Array(0), symOffset: 0, side,
  };
}

/**
 * The shortest half-band equiripple low-pass (length 4M − 1) with the
 * stopband spec. Band edges mirrored about rate/4 and equal weights make the
 * Remez optimum a half-band filter; its even-offset taps come out ~1e-16 and
 * are set to exactly 0 (and the centre to ½) so the kernels may skip them.
 */
function halfbandPrototype(passHz: number, stopHz: number, rate: number): Float64Array {
  const delta = 10 ** (-REMEZ_STOP_DB / 20);
  for (let m = 4; m <= 64; m++) {
    const r = remezLowpass(4 * m - 1, passHz, stopHz, rate, 1);
    if (!r || r.delta > delta) continue;
    const c = 2 * m - 1;
    for (let k = 2; k <= c; k += 2) r.h[c - k] = r.h[c + k] = 0;
    r.h[c] = 0.5;
    return r.h;
  }
  throw new Error(`no half-band design for ${passHz}/${stopHz} Hz at ${rate} Hz`);
}

/**
 * The shortest equiripple low-pass meeting the spec, else a Kaiser window.
 * Only lengths with (n − 1)/2 divisible by `delayGrid` are tried: for integer
 * decimation that makes the group delay a whole number of OUTPUT samples, so
 * a consumer can align streams exactly.
 */
function designPrototype(passHz: number, stopHz: number, rate: number, delayGrid: number): Float64Array {
  const deltaStop = 10 ** (-REMEZ_STOP_DB / 20);
  const deltaPass = 10 ** (REMEZ_RIPPLE_DB / 20) - 1;
  // Kaiser's length estimate for equiripple filters (DTSP eq. 7.104 form)
  const est = (-20 * Math.log10(Math.sqrt(deltaPass * deltaStop)) - 13) / ((14.6 * (stopHz - passHz)) / rate) + 1;
  for (let n = (Math.floor(est) | 1) - 4; n <= REMEZ_MAX_TAPS; n += 2) {
    if (((n - 1) / 2) % delayGrid !== 0) continue;
    const r = remezLowpass(n, passHz, stopHz, rate, deltaPass / deltaStop);
    if (r && r.delta <= deltaPass) return r.h;
  }
  return designLowpass({
    length: kaiserLength(KAISER_STOP_DB, stopHz - passHz, rate),
    cutoffHz: (passHz + stopHz) / 2,
    rate,
    beta: kaiserBeta(KAISER_STOP_DB),
  });
}

/**
 * Phase p holds proto[p + k·up], reversed so index 0 meets the oldest input
 * sample, scaled by `up` (zero-stuffing by `up` divides the level by `up`).
 * No per-phase renormalisation: forcing every phase to exactly unity DC gain
 * would perturb an equiripple design's stopband by about its passband ripple
 * (−54 dB images for ±0.04 dB), worse than leaving phases as designed.
 */
function splitPhases(proto: Float64Array, up: number, taps: number): Float64Array {
  const coefs = new Float64Array(up * taps);
  for (let p = 0; p < up; p++) {
    for (let k = 0; k < taps; k++) {
      const i = p + k * up;
      coefs[p * taps + (taps - 1 - k)] = i < proto.length ? up * proto[i]! : 0;
    }
  }
  return coefs;
}
