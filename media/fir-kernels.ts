/**
 * Inner loops of the resampler, one per filter structure. Plain functions
 * over typed arrays: no closures, no allocation, monomorphic call sites.
 *
 * Common contract: `buf` holds history then the current input (as floats);
 * output t's newest input sample is `buf[n + taps − 1]` (its window starts at
 * buf[n]); each kernel runs while n < nIn and returns the updated state.
 * Rounding: Math.round (half up) then clamp to int16.
 */

export interface KernelState {
  n: number;
  phase: number;
  written: number;
}

function toInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/**
 * Generic rational L/M polyphase: one dot product of `taps` per output with
 * phase p's coefficients. Four accumulators break the FP add dependency chain.
 */
export function polyphaseKernel(
  coefs: Float64Array, taps: number, advance: Int32Array, nextPhase: Int32Array,
  buf: Float64Array, nIn: number, out: Int16Array, s: KernelState,
): void {
  let n = s.n, p = s.phase, o = 0;
  while (n < nIn) {
    const c0 = p * taps;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let j = 0; j < taps; j += 4) {
      a0 += coefs[c0 + j]! * buf[n + j]!;
      a1 += coefs[c0 + j + 1]! * buf[n + j + 1]!;
      a2 += coefs[c0 + j + 2]! * buf[n + j + 2]!;
      a3 += coefs[c0 + j + 3]! * buf[n + j + 3]!;
    }
    out[o++] = toInt16(a0 + a1 + (a2 + a3));
    n += advance[p]!;
    p = nextPhase[p]!;
  }
  s.n = n; s.phase = p; s.written = o;
}

/**
 * Integer decimation by `down` with a symmetric (linear-phase) filter of odd
 * length 2·half+1: fold the window so each coefficient multiplies the sum of
 * two mirrored samples, halving the multiplies. `sym[0..half]`, centre last.
 * `offset` = taps − length (zero padding in front of the window). Outputs go
 * in pairs so each coefficient load serves two outputs; a lone last output
 * uses the same arithmetic in the same order, so chunking never changes bits.
 */
export function decimateSymmetricKernel(
  sym: Float64Array, half: number, offset: number, down: number,
  buf: Float64Array, nIn: number, out: Int16Array, s: KernelState,
): void {
  let n = s.n, o = 0;
  for (; n + down < nIn; n += 2 * down) {
    const lo = n + offset, hi = lo + 2 * half;
    const lo2 = lo + down, hi2 = hi + down;
    let a0 = sym[half]! * buf[lo + half]!, a1 = 0;
    let b0 = sym[half]! * buf[lo2 + half]!, b1 = 0;
    let j = 0;
    for (; j + 1 < half; j += 2) {
      const c0 = sym[j]!, c1 = sym[j + 1]!;
      a0 += c0 * (buf[lo + j]! + buf[hi - j]!);
      a1 += c1 * (buf[lo + j + 1]! + buf[hi - j - 1]!);
      b0 += c0 * (buf[lo2 + j]! + buf[hi2 - j]!);
      b1 += c1 * (buf[lo2 + j + 1]! + buf[hi2 - j - 1]!);
    }
    if (j < half) {
      a0 += sym[j]! * (buf[lo + j]! + buf[hi - j]!);
      b0 += sym[j]! * (buf[lo2 + j]! + buf[hi2 - j]!);
    }
    out[o++] = toInt16(a0 + a1);
    out[o++] = toInt16(b0 + b1);
  }
  if (n < nIn) {
    out[o++] = decimateOne(sym, half, n + offset, buf);
    n += down;
  }
  s.n = n; s.written = o;
}

function decimateOne(sym: Float64Array, half: number, lo: number, buf: Float64Array): number {
  const hi = lo + 2 * half;
  let a0 = sym[half]! * buf[lo + half]!, a1 = 0;
  let j = 0;
  for (; j + 1 < half; j += 2) {
    a0 += sym[j]! * (buf[lo + j]! + buf[hi - j]!);
    a1 += sym[j + 1]! * (buf[lo + j + 1]! + buf[hi - j - 1]!);
  }
  if (j < half) a0 += sym[j]! * (buf[lo + j]! + buf[hi - j]!);
  return toInt16(a0 + a1);
}

/*
 * Half-band filters for the 2:1 ratios (16 kHz ⇄ 8 kHz, the common case).
 * A half-band low-pass (band edges mirrored about a quarter of the high rate)
 * has h[c] = ½ and h[c ± 2m] = 0, so only the taps at odd distance from the
 * centre cost multiplies. `side[m]` = h[c + 2m + 1] (m = 0 … M−1), length
 * 4M−1, centre c = 2M−1 (half-band filters: P. P. Vaidyanathan, Multirate
 * Systems and Filter Banks, 1993).
 */

/**
 * Decimation by 2: one output per two inputs, M multiplies each. The window
 * buf[n … n+4M] is one sample longer at each end than the filter (zero taps)
 * so the centre sits on an even input sample: the group delay is then a whole
 * number (M) of output samples and outputs line up with other 8 kHz streams.
 */
export function halfbandDecimateKernel(
  side: Float64Array, buf: Float64Array, nIn: number, out: Int16Array, s: KernelState,
): void {
  const m = side.length;
  const c = 2 * m;
  let n = s.n, o = 0;
  for (; n < nIn; n += 2) {
    const mid = n + c;
    let a0 = 0.5 * buf[mid]!, a1 = 0;
    let j = 0;
    for (; j + 1 < m; j += 2) {
      a0 += side[j]! * (buf[mid - 1 - 2 * j]! + buf[mid + 1 + 2 * j]!);
      a1 += side[j + 1]! * (buf[mid - 3 - 2 * j]! + buf[mid + 3 + 2 * j]!);
    }
    if (j < m) a0 += side[j]! * (buf[mid - 1 - 2 * j]! + buf[mid + 1 + 2 * j]!);
    out[o++] = toInt16(a0 + a1);
  }
  s.n = n; s.written = o;
}

/**
 * Interpolation by 2 (gain 2 for the zero-stuffing): per input, window
 * buf[n … n+2M−1] (newest last). The even output is the side taps' dot
 * product, M multiplies over mirrored pairs; the odd output falls on the
 * centre tap alone, so it IS an input sample, delayed: no arithmetic at all.
 */
export function halfbandInterpolateKernel(
  side: Float64Array, buf: Float64Array, nIn: number, out: Int16Array, s: KernelState,
): void {
  const m = side.length;
  const last = 2 * m - 1;
  let n = s.n, o = 0;
  for (; n < nIn; n++) {
    let a0 = 0, a1 = 0;
    let j = 0;
    for (; j + 1 < m; j += 2) {
      a0 += side[m - 1 - j]! * (buf[n + j]! + buf[n + last - j]!);
      a1 += side[m - 2 - j]! * (buf[n + j + 1]! + buf[n + last - j - 1]!);
    }
    if (j < m) a0 += side[m - 1 - j]! * (buf[n + j]! + buf[n + last - j]!);
    out[o++] = toInt16(2 * (a0 + a1));
    out[o++] = buf[n + m]!;
  }
  s.n = n; s.written = o;
}
