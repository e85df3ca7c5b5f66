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

/**
 * Interpolation by 2: both phases share one input window, so each input
 * sample is loaded once for two outputs; and windows go in pairs (n, n+1) so
 * each coefficient load serves two windows. `pair[2j]`, `pair[2j+1]` are the
 * phase-0 and phase-1 coefficients for window position j. A lone last window
 * uses the same arithmetic in the same order (bit-exact across chunkings).
 */
export function interpolate2Kernel(
  pair: Float64Array, taps: number,
  buf: Float64Array, nIn: number, out: Int16Array, s: KernelState,
): void {
  let n = s.n, o = 0;
  for (; n + 1 < nIn; n += 2) {
    let e0 = 0, e1 = 0, f0 = 0, f1 = 0, g0 = 0, g1 = 0, h0 = 0, h1 = 0;
    for (let j = 0; j < taps; j += 2) {
      const x0 = buf[n + j]!, x1 = buf[n + j + 1]!, x2 = buf[n + j + 2]!;
      const k = 2 * j;
      const p0 = pair[k]!, q0 = pair[k + 1]!, p1 = pair[k + 2]!, q1 = pair[k + 3]!;
      e0 += p0 * x0; f0 += q0 * x0; e1 += p1 * x1; f1 += q1 * x1;
      g0 += p0 * x1; h0 += q0 * x1; g1 += p1 * x2; h1 += q1 * x2;
    }
    out[o++] = toInt16(e0 + e1);
    out[o++] = toInt16(f0 + f1);
    out[o++] = toInt16(g0 + g1);
    out[o++] = toInt16(h0 + h1);
  }
  if (n < nIn) {
    let e0 = 0, e1 = 0, f0 = 0, f1 = 0;
    for (let j = 0; j < taps; j += 2) {
      const x0 = buf[n + j]!, x1 = buf[n + j + 1]!;
      const k = 2 * j;
      e0 += pair[k]! * x0; f0 += pair[k + 1]! * x0; e1 += pair[k + 2]! * x1; f1 += pair[k + 3]! * x1;
    }
    out[o++] = toInt16(e0 + e1);
    out[o++] = toInt16(f0 + f1);
    n += 1;
  }
  s.n = n; s.phase = 0; s.written = o;
}
