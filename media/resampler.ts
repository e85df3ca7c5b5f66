/**
 * Streaming PCM16 resampler: polyphase FIR for any rational ratio L/M, one
 * instance per stream and direction (it keeps the filter history).
 *
 * Output timing is exact integer arithmetic (phase + input index), so the
 * output count tracks input·L/M with no drift: after N input samples in
 * total, exactly ceil(N·L/M) samples have come out (320 in at 16k→8k gives
 * 160 out every frame; 882 in at 44.1k→8k gives 160). Chunk boundaries do not
 * change any output sample: streaming in 20 ms frames is bit-exact with
 * processing the whole signal at once.
 *
 * The filter spec lives in polyphase-bank.ts (passband to 3.4 kHz, stopband
 * from 4.6 kHz on the 8 kHz side). Group delay: `delayOutputSamples`.
 */
import {
  decimateSymmetricKernel, halfbandDecimateKernel, halfbandInterpolateKernel, polyphaseKernel, type KernelState,
} from './fir-kernels.js';
import { polyphaseBank, type PolyphaseBank } from './polyphase-bank.js';
import { halfbandSimd, SimdHalfbandStream } from './simd-kernels.js';

export interface ResamplerOptions {
  /**
   * 'auto' (default): WebAssembly SIMD kernels for the 2:1 ratios where the
   * engine supports them, else JavaScript. 'js': always the JavaScript
   * kernels (same output bit for bit; for comparison and tests).
   */
  kernels?: 'auto' | 'js';
}

export class Resampler {
  private readonly bank: PolyphaseBank | undefined; // undefined = same rate, plain copy
  /** History (taps−1 oldest samples) followed by the current input, as floats. */
  private buf: Float64Array;
  /** n: start of the next output's window relative to the current input; phase: its filter phase. */
  private readonly state: KernelState = { n: 0, phase: 0, written: 0 };
  /** The same filter in WebAssembly SIMD, when this ratio and the engine allow it. */
  private readonly simd: SimdHalfbandStream | undefined;

  constructor(readonly inRate: number, readonly outRate: number, options: ResamplerOptions = {}) {
    if (!(Number.isInteger(inRate) && Number.isInteger(outRate) && inRate > 0 && outRate > 0)) {
      throw new RangeError(`Resampler: rates must be positive integers, got ${inRate}->${outRate}`);
    }
    this.bank = inRate === outRate ? undefined : polyphaseBank(inRate, outRate);
    this.simd = this.bank && options.kernels !== 'js' ? simdStream(this.bank) : undefined;
    this.buf = new Float64Array(this.simd ? 0 : this.historyLength + 960);
  }

  /** Which implementation runs: 'wasm-simd' or 'js'. */
  get kernels(): 'wasm-simd' | 'js' {
    return this.simd ? 'wasm-simd' : 'js';
  }

  private get historyLength(): number {
    return this.bank ? this.bank.taps - 1 : 0;
  }

  /** Filter group delay in output samples (0 for a same-rate copy). */
  get delayOutputSamples(): number {
    return this.bank ? this.bank.delayOut : 0;
  }

  /** Output capacity the caller must provide for `inputLength` input samples. */
  maxOutputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.outRate) / this.inRate) + 1;
  }

  /** Resample `input` into `output`; returns the number of samples written. */
  process(input: Int16Array, output: Int16Array): number {
    const bank = this.bank;
    if (!bank) {
      output.set(input);
      return input.length;
    }
    if (this.simd) return this.simd.process(input, output);
    const hist = this.historyLength;
    const nIn = input.length;
    if (this.buf.length < hist + nIn) this.grow(hist + nIn);
    const buf = this.buf;
    for (let i = 0; i < nIn; i++) buf[hist + i] = input[i]!;
    const written = this.filter(bank, buf, nIn, output);
    buf.copyWithin(0, nIn, nIn + hist); // keep the newest taps−1 samples
    return written;
  }

  /** Run the kernel that suits this ratio; state carries across calls. */
  private filter(bank: PolyphaseBank, buf: Float64Array, nIn: number, output: Int16Array): number {
    const s = this.state;
    if (bank.kind === 'halfband-decimate') {
      halfbandDecimateKernel(bank.side, buf, nIn, output, s);
    } else if (bank.kind === 'halfband-interpolate') {
      halfbandInterpolateKernel(bank.side, buf, nIn, output, s);
    } else if (bank.kind === 'decimate') {
      decimateSymmetricKernel(bank.sym, bank.sym.length - 1, bank.symOffset, bank.down, buf, nIn, output, s);
    } else {
      polyphaseKernel(bank.coefs, bank.taps, bank.advance, bank.nextPhase, buf, nIn, output, s);
    }
    s.n -= nIn;
    return s.written;
  }

  /** Larger input than ever before: grow once (amortised, not per call). */
  private grow(size: number): void {
    const next = new Float64Array(size);
    next.set(this.buf.subarray(0, this.historyLength));
    this.buf = next;
  }

  /** Forget history and timing (e.g. after a stream restart). */
  reset(): void {
    this.simd?.reset();
    this.buf.fill(0);
    this.state.n = 0;
    this.state.phase = 0;
  }

  toString(): string {
    return `resample(${this.inRate}->${this.outRate})`;
  }
}

function simdStream(bank: PolyphaseBank): SimdHalfbandStream | undefined {
  if (bank.kind !== 'halfband-decimate' && bank.kind !== 'halfband-interpolate') return undefined;
  const rt = halfbandSimd();
  return rt && new SimdHalfbandStream(rt, bank.side, bank.kind === 'halfband-interpolate');
}
