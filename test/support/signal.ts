/**
 * Signal analysis helpers for tests. Pure functions, no I/O.
 *
 * Conventions used throughout:
 * - Samples are PCM16 values (Int16Array) or plain numbers in the same scale
 *   (full scale = 32768). Any `ArrayLike<number>` is accepted.
 * - `dbfs` is RMS relative to 32768, so a full-scale sine reads −3.01 dBFS
 *   (not the AES17 convention, which would read 0 dBFS).
 * - Tone levels (`toneAmplitude`) are PEAK amplitudes in sample units, so
 *   `toneAmplitude(toneInt16(1000, 8000, 1, 10000), 1000, 8000)` ≈ 10000.
 */

export type Samples = ArrayLike<number>;

/** Root-mean-square value over `[start, end)` (whole signal by default). */
export function rms(x: Samples, start = 0, end = x.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += x[i]! * x[i]!;
  return end > start ? Math.sqrt(sum / (end - start)) : 0;
}

/** RMS level in dB relative to 32768 (full-scale sine = −3.01 dBFS); −Infinity for silence. */
export function dbfs(x: Samples, start = 0, end = x.length): number {
  return 20 * Math.log10(rms(x, start, end) / 32768);
}

/** Convert an amplitude ratio to dB. */
export function ratioDb(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/**
 * A sine tone as PCM16: `amplitude` is the PEAK value in sample units
 * (16384 ≈ −6 dBFS peak). Rounded to nearest, clamped to int16.
 */
export function toneInt16(
  freq: number,
  rate: number,
  seconds: number,
  amplitude: number,
  phase = 0,
): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < n; i++) {
    const v = Math.round(amplitude * Math.sin(w * i + phase));
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * Classic Goertzel power at `freq` over `[start, end)`, no window.
 * Returns |X(f)|² (unnormalised). Exact for bin-centred tones; for precise
 * levels of arbitrary frequencies in the presence of other tones, prefer
 * `toneAmplitude`.
 */
export function goertzelPower(x: Samples, freq: number, rate: number, start = 0, end = x.length): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const s0 = x[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * Peak amplitude of the sinusoid at exactly `freq` Hz in `[start, end)`,
 * estimated with a 4-term Blackman-Harris window (side lobes −92 dB), so a
 * strong tone a few hundred Hz away (given ≥ ~0.1 s of signal) does not leak
 * into the measurement. Use it to measure aliases, images and passband gain:
 * a pure tone of peak A reads ≈ A (window gain compensated).
 */
export function toneAmplitude(x: Samples, freq: number, rate: number, start = 0, end = x.length): number {
  const n = end - start;
  if (n <= 1) return 0;
  const w = (2 * Math.PI * freq) / rate;
  const a0 = 0.35875, a1 = 0.48829, a2 = 0.14128, a3 = 0.01168;
  let re = 0, im = 0, wsum = 0;
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / (n - 1);
    const win = a0 - a1 * Math.cos(t) + a2 * Math.cos(2 * t) - a3 * Math.cos(3 * t);
    const v = x[start + i]! * win;
    re += v * Math.cos(w * i);
    im -= v * Math.sin(w * i);
    wsum += win;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

/** Tone level in dB relative to a peak amplitude `ref` (default full scale 32768). */
export function toneLevelDb(x: Samples, freq: number, rate: number, ref = 32768, start = 0, end = x.length): number {
  return 20 * Math.log10(toneAmplitude(x, freq, rate, start, end) / ref);
}

export interface CorrelationResult {
  /** Normalised correlation in [−1, 1] at the best lag (1 = identical shape). */
  corr: number;
  /** Best lag in samples: `b[i + lag]` lines up with `a[i]` (positive = b is late). */
  lag: number;
}

/**
 * Normalised cross-correlation of `a` and `b` for lags in
 * [−maxLagSamples, +maxLagSamples]; returns the lag with the highest
 * correlation. Normalisation uses the energy of the overlapping parts only,
 * so a shifted copy still reads ≈ 1. O(n · maxLag): keep signals to a few
 * seconds. Both signals must share one sample rate (see `resampleForCompare`).
 */
export function normalizedCrossCorrelation(a: Samples, b: Samples, maxLagSamples: number): CorrelationResult {
  let best: CorrelationResult = { corr: -Infinity, lag: 0 };
  for (let lag = -maxLagSamples; lag <= maxLagSamples; lag++) {
    const corr = correlationAtLag(a, b, lag);
    if (corr > best.corr) best = { corr, lag };
  }
  return best;
}

/** Normalised correlation of `a[i]` with `b[i + lag]` over their overlap. */
export function correlationAtLag(a: Samples, b: Samples, lag: number): number {
  const i0 = Math.max(0, -lag);
  const i1 = Math.min(a.length, b.length - lag);
  let ab = 0, aa = 0, bb = 0;
  for (let i = i0; i < i1; i++) {
    const va = a[i]!, vb = b[i + lag]!;
    ab += va * vb;
    aa += va * va;
    bb += vb * vb;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Crude rate change for COMPARING signals only (linear interpolation; not a
 * reference resampler, it has poor alias rejection). Use sox via
 * `audio-tools.ts` when quality matters.
 */
export function resampleForCompare(x: Samples, inRate: number, outRate: number): Float64Array {
  const n = Math.floor((x.length * outRate) / inRate);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pos = (i * inRate) / outRate;
    const k = Math.floor(pos);
    const frac = pos - k;
    const x0 = x[k]!;
    const x1 = k + 1 < x.length ? x[k + 1]! : x0;
    out[i] = x0 + (x1 - x0) * frac;
  }
  return out;
}

/** Signal-to-noise ratio in dB of `test` against `reference` (same length, aligned). */
export function snrDb(reference: Samples, test: Samples): number {
  let sig = 0, err = 0;
  const n = Math.min(reference.length, test.length);
  for (let i = 0; i < n; i++) {
    const d = test[i]! - reference[i]!;
    sig += reference[i]! * reference[i]!;
    err += d * d;
  }
  return 10 * Math.log10(sig / err);
}

/**
 * Correlation that tolerates timing gaps: `a` in windows of `windowSamples`,
 * each matched against `b` at its own best lag, searched around the previous
 * window's lag (a receiver that inserts or drops frames on a busy machine
 * only shifts the audio after it). Windows quieter than `minRms` are skipped. Returns each window's
 * correlation; its median says whether the audio arrived intact, where one
 * global lag would read a single inserted frame as a mismatch.
 */
export function windowedCorrelation(a: Samples, b: Samples, o: {
  windowSamples: number; firstSearch: number; back: number; ahead: number; minRms?: number;
}): number[] {
  const out: number[] = [];
  let lag: number | undefined;
  for (let s = 0; s + o.windowSamples <= a.length; s += o.windowSamples) {
    if (rms(a, s, s + o.windowSamples) < (o.minRms ?? 300)) continue;
    let best = bestLag(a, b, s, o.windowSamples, lag === undefined ? -o.firstSearch : lag - o.back, lag === undefined ? o.firstSearch : lag + o.ahead);
    // A window that does not match near the previous lag is searched again over the whole first
    // range: one window locked on a wrong lag (e.g. speech that resembles itself) must not make
    // every later window fail.
    if (lag !== undefined && best.corr < 0.5) {
      const wide = bestLag(a, b, s, o.windowSamples, -o.firstSearch, o.firstSearch);
      if (wide.corr > best.corr) best = wide;
    }
    if (best.corr > -Infinity) {
      out.push(best.corr);
      lag = best.lag;
    }
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

function bestLag(a: Samples, b: Samples, s: number, n: number, lo: number, hi: number): { corr: number; lag: number } {
  let best = { corr: -Infinity, lag: lo };
  for (let l = lo; l <= hi; l++) {
    if (s + l < 0 || s + l + n > b.length) continue;
    let ab = 0, aa = 0, bb = 0;
    for (let i = s; i < s + n; i++) {
      const va = a[i]!, vb = b[i + l]!;
      ab += va * vb; aa += va * va; bb += vb * vb;
    }
    const corr = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
    if (corr > best.corr) best = { corr, lag: l };
  }
  return best;
}
