/**
 * Polyphase coefficient banks for rational resampling by L/M, built once per
 * (inRate, outRate) and shared by every Resampler instance of that ratio.
 *
 * Telephony filter spec, relative to the LOWER of the two rates (Nyquist
 * f_N = min/2, i.e. 4 kHz on the 8 kHz side):
 * - passband edge 0.85 f_N (3.4 kHz: the top of the G.712 telephone channel),
 * - stopband edge f_N itself (4.0 kHz), so nothing above the narrowband
 *   Nyquist folds back (downsampling) and no image survives (upsampling),
 * - equiripple (Parks–McClellan) design with ≥ 64 dB stopband and ±0.04 dB
 *   passband ripple: the requirement is ≥ 60 dB and ≤ 0.1 dB, the margin
 *   covers int16 rounding of input and output. Equiripple needs ~25 % fewer
 *   taps than a Kaiser window here, and taps are CPU on every frame.
 * - Ratios whose prototype would be thousands of taps long (44.1k/22.05k:
 *   L = 80/160 phases) use a 65 dB Kaiser window instead (ripple ±0.005 dB):
 *   Remez on that grid would be slow and numerically fragile.
 */
import { designLowpass, kaiserBeta, kaiserLength } from './fir-design.js';
import { remezLowpass } from './remez.js';

const PASS_EDGE = 0.85; // × f_N
const STOP_EDGE = 1.0; // × f_N
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
  readonly kind: 'decimate' | 'interpolate2' | 'generic';
  /** decimate: first half of the symmetric filter, centre tap last (length half+1). */
  readonly sym: Float64Array;
  /** decimate: taps − filter length (zeros in front of the window). */
  readonly symOffset: number;
  /** interpolate2: phase 0 and phase 1 coefficients interleaved per window position. */
  readonly pair: Float64Array;
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
  const highRate = inRate * up; // the virtual rate the prototype runs at
  const nyquist = Math.min(inRate, outRate) / 2;
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
  const kind = up === 1 ? 'decimate' : up === 2 && down === 1 ? 'interpolate2' : 'generic';
  const symOffset = taps - length;
  const sym = kind === 'decimate' ? coefs.slice(symOffset, symOffset + (length + 1) / 2) : new Float64Array(0);
  const pair = kind === 'interpolate2' ? interleave(coefs, taps) : new Float64Array(0);
  const delayOut = (length - 1) / 2 / down;
  return { up, down, taps, coefs, advance, nextPhase, delayOut, kind, sym, symOffset, pair };
}

function interleave(coefs: Float64Array, taps: number): Float64Array {
  const pair = new Float64Array(2 * taps);
  for (let j = 0; j < taps; j++) {
    pair[2 * j] = coefs[j]!;
    pair[2 * j + 1] = coefs[taps + j]!;
  }
  return pair;
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
