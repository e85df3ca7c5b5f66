/**
 * Kaiser-windowed-sinc low-pass design for the polyphase resampler.
 *
 * Kaiser's empirical formulas (Kaiser 1974; Oppenheim & Schafer, "Discrete-Time
 * Signal Processing", §7.6) give the window shape β and length N for a
 * stopband attenuation A (dB) and transition width Δω (rad/sample):
 *   β = 0.1102 (A − 8.7)            for A > 50
 *   N = (A − 7.95) / (2.285 Δω) + 1
 * The passband ripple of a Kaiser design equals its stopband ripple δ, so
 * A = 65 dB gives δ ≈ 5.6e−4, i.e. ±0.005 dB in the passband.
 */

/** Zeroth-order modified Bessel function of the first kind (power series). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Odd filter length (type I, symmetric about an integer centre) for A dB and a transition of `transitionHz` at `rate`. */
export function kaiserLength(attenuationDb: number, transitionHz: number, rate: number): number {
  const dw = (2 * Math.PI * transitionHz) / rate;
  const n = Math.ceil((attenuationDb - 7.95) / (2.285 * dw) + 1);
  return n % 2 === 0 ? n + 1 : n;
}

export interface LowpassSpec {
  /** Number of taps. */
  length: number;
  /** −6 dB point of the ideal sinc, Hz (midway between passband and stopband edges). */
  cutoffHz: number;
  /** Sample rate the filter runs at, Hz. */
  rate: number;
  /** Kaiser β. */
  beta: number;
}

/** Windowed-sinc low-pass with unity DC gain, symmetric (linear phase). */
export function designLowpass(spec: LowpassSpec): Float64Array {
  const { length, cutoffHz, rate, beta } = spec;
  const h = new Float64Array(length);
  const fc = cutoffHz / rate; // cycles per sample
  const centre = (length - 1) / 2;
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let k = 0; k < length; k++) {
    const t = k - centre;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = centre === 0 ? 0 : t / centre;
    h[k] = (sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r)))) / i0Beta;
    sum += h[k]!;
  }
  for (let k = 0; k < length; k++) h[k] = h[k]! / sum;
  return h;
}
