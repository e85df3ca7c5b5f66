/**
 * WebAssembly SIMD versions of the half-band 2:1 resampler kernels
 * (16 kHz ⇄ 8 kHz), bit-exact with the JavaScript kernels in fir-kernels.ts
 * (why: see media/wasm/halfband-kernels.wat). About 4× faster per frame
 * (`npx tsx bench/media.ts`).
 *
 * Pure: the module's bytes are embedded (media/wasm/halfband-kernels.wasm.ts,
 * generated from the committed .wat by `npm run build:wasm`) and compiled
 * synchronously once, on first use. Where WebAssembly or its SIMD proposal is
 * unavailable (`node --jitless`, old engines) `halfbandSimd()` returns
 * undefined and the Resampler keeps its JavaScript kernels.
 *
 * Memory: one shared wasm memory. Each stream owns a fixed-size slot (its
 * state word, float history + input, int16 in/out areas); slots of collected
 * streams are reused (FinalizationRegistry). The filter taps live once per
 * filter. Per frame: one int16 copy in, one call, one int16 copy out, no
 * allocation in steady state.
 */
import { WASM_BASE64 } from './wasm/halfband-kernels.wasm.js';

/** Largest input handed to the kernel in one call; longer inputs are split (bit-exact: the kernels stream). */
const CHUNK = 960;
const PAGE = 65536;

/** (taps, M, state, bufA, bufB, src, nIn, out) -> outputs written; see the .wat for each buffer's layout. */
type KernelFn = (taps: number, m: number, state: number, bufA: number, bufB: number, src: number, nIn: number, out: number) => number;

/** The part of the WebAssembly JS API used here (lib ES2023 has no WebAssembly types). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  decimate: KernelFn;
  interpolate: KernelFn;
}

/** Shared instance + allocator. */
class SimdRuntime {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly taps = new Map<Float64Array, number>();
  private readonly released = new FinalizationRegistry<{ ptr: number; size: number }>((s) => this.release(s.ptr, s.size));
  /** Views over the current memory buffer (replaced when memory grows). */
  heap16!: Int16Array;
  private heapF64!: Float64Array;

  constructor(readonly exports: Exports) {
    this.top = 16; // keep address 0 unused
    this.refreshViews();
  }

  get buffer(): ArrayBuffer {
    return this.exports.memory.buffer;
  }

  private refreshViews(): void {
    this.heap16 = new Int16Array(this.exports.memory.buffer);
    this.heapF64 = new Float64Array(this.exports.memory.buffer);
  }

  /** 16-byte aligned block; grows memory when needed. */
  alloc(size: number): number {
    const list = this.free.get(size);
    if (list?.length) return list.pop()!;
    const ptr = this.top;
    this.top += (size + 15) & ~15;
    const need = this.top - this.exports.memory.buffer.byteLength;
    if (need > 0) {
      this.exports.memory.grow(Math.ceil(need / PAGE));
      this.refreshViews();
    }
    return ptr;
  }

  private release(ptr: number, size: number): void {
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /** Free `owner`'s slot once `owner` is garbage. */
  releaseWith(owner: object, ptr: number, size: number): void {
    this.released.register(owner, { ptr, size });
  }

  /** Filter taps copied into wasm memory once per filter. */
  tapsPtr(taps: Float64Array): number {
    let ptr = this.taps.get(taps);
    if (ptr === undefined) {
      ptr = this.alloc(taps.length * 8);
      this.heapF64.set(taps, ptr >> 3);
      this.taps.set(taps, ptr);
    }
    return ptr;
  }
}

let runtime: SimdRuntime | null | undefined; // null = unavailable

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Instantiate the kernels with `wasm` (default: the engine's WebAssembly,
 * null = none), or undefined when it is missing or rejects SIMD. Injectable so the
 * fallback path is testable; the default result is cached.
 */
export function loadHalfbandSimd(
  wasm: WasmApi | null = (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null,
): SimdRuntime | undefined {
  if (!wasm || typeof wasm.validate !== 'function') return undefined;
  const bytes = decodeBase64(WASM_BASE64);
  if (!wasm.validate(bytes)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(bytes), {});
  return new SimdRuntime(instance.exports as unknown as Exports);
}

/** The shared runtime, or undefined where WebAssembly SIMD is unavailable. */
export function halfbandSimd(): SimdRuntime | undefined {
  if (runtime === undefined) runtime = loadHalfbandSimd() ?? null;
  return runtime ?? undefined;
}

export type { SimdRuntime };

/**
 * One stream's half-band resampler state in wasm memory. Same contract as
 * the JavaScript path of Resampler.process.
 */
export class SimdHalfbandStream {
  private readonly kernel: KernelFn;
  private readonly m: number;
  private readonly tapsPtr: number;
  private readonly state: number;
  private readonly bufA: number;
  private readonly bufB: number;
  private readonly srcPtr: number;
  private readonly outPtr: number;
  private outView = new Int16Array(0);
  private outBuffer: ArrayBuffer | undefined;

  /**
   * `side`: the half-band side taps; `interpolate`: 1:2 (else 2:1). The
   * interpolation kernel wants the taps reversed (oldest sample first).
   */
  constructor(private readonly rt: SimdRuntime, side: Float64Array, interpolate: boolean) {
    const m = side.length;
    this.m = m;
    this.kernel = interpolate ? rt.exports.interpolate : rt.exports.decimate;
    this.tapsPtr = rt.tapsPtr(interpolate ? reversedTaps(side) : side);
    const outMax = interpolate ? 2 * CHUNK : CHUNK / 2 + 1;
    // Float history + input, + 8 samples that a SIMD lane past the last output may read:
    // interpolation one array; decimation two (even- and odd-indexed samples), each half as long.
    const arrayBytes = interpolate ? (2 * m - 1 + CHUNK + 8) * 8 : (2 * m + CHUNK / 2 + 8) * 8;
    const bufBytes = interpolate ? arrayBytes : 2 * arrayBytes;
    // state (n, parity) | float arrays | int16 in | int16 out
    const size = 16 + bufBytes + CHUNK * 2 + outMax * 2;
    const base = rt.alloc(size);
    this.state = base;
    this.bufA = base + 16;
    this.bufB = interpolate ? 0 : this.bufA + arrayBytes;
    this.srcPtr = this.bufA + bufBytes;
    this.outPtr = this.srcPtr + CHUNK * 2;
    rt.heap16.fill(0, base >> 1, (base + size) >> 1); // a reused slot starts silent, like a new one
    rt.releaseWith(this, base, size);
  }

  /** Resample `input` into `output`; returns the number of samples written. */
  process(input: Int16Array, output: Int16Array): number {
    if (input.length <= CHUNK) return this.chunk(input, output, 0);
    let o = 0;
    for (let i = 0; i < input.length; i += CHUNK) o += this.chunk(input.subarray(i, i + CHUNK), output, o);
    return o;
  }

  private chunk(input: Int16Array, output: Int16Array, at: number): number {
    const rt = this.rt;
    rt.heap16.set(input, this.srcPtr >> 1);
    const written = this.kernel(this.tapsPtr, this.m, this.state, this.bufA, this.bufB, this.srcPtr, input.length, this.outPtr);
    output.set(this.outputView(written), at);
    return written;
  }

  /** A view of `written` outputs, reused while the length and the memory stay the same. */
  private outputView(written: number): Int16Array {
    const buffer = this.rt.buffer;
    if (this.outView.length !== written || this.outBuffer !== buffer) {
      this.outView = new Int16Array(buffer, this.outPtr, written);
      this.outBuffer = buffer;
    }
    return this.outView;
  }

  /** Forget history and timing. */
  reset(): void {
    const end = this.srcPtr;
    this.rt.heap16.fill(0, this.state >> 1, end >> 1);
  }
}

const reversed = new WeakMap<Float64Array, Float64Array>();

function reversedTaps(side: Float64Array): Float64Array {
  let r = reversed.get(side);
  if (!r) reversed.set(side, (r = side.slice().reverse()));
  return r;
}
