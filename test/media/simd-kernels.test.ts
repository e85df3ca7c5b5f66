/**
 * The WebAssembly SIMD half-band kernels (media/simd-kernels.ts): the
 * committed bytes are the compilation of the committed .wat, the output is
 * bit-exact with the JavaScript kernels (real speech, noise, full-scale
 * edge cases, any chunking), and where WebAssembly SIMD is missing the
 * Resampler runs the JavaScript kernels (a real `node --jitless` process,
 * which has no WebAssembly at all, and an injected engine without SIMD).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Resampler } from '../../media/resampler.js';
import { loadHalfbandSimd, type WasmApi } from '../../media/simd-kernels.js';
import { modulePath, renderFromSource, WAT_SOURCES } from '../../tools/wasm/build.js';
import { haveAudioTools, noise, speechWav, toInt16 } from '../support/audio-tools.js';

const RATIO_PAIRS: Array<[number, number]> = [[8000, 16000], [16000, 8000]];
const SPEECH = 'Thank you for calling. Your appointment is confirmed for Tuesday at three thirty in the afternoon.';

/** Run `input` through a resampler in chunks of the given sizes (cycled). */
function run(r: Resampler, input: Int16Array, chunkSizes: number[]): Int16Array {
  const out = new Int16Array(r.maxOutputLength(input.length) + chunkSizes.length + 8);
  let i = 0, o = 0, k = 0;
  while (i < input.length) {
    const n = Math.min(chunkSizes[k++ % chunkSizes.length]!, input.length - i);
    o += r.process(input.subarray(i, i + n), out.subarray(o));
    i += n;
  }
  return out.subarray(0, o);
}

function firstDifference(a: Int16Array, b: Int16Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSameSamples(actual: Int16Array, expected: Int16Array): void {
  expect(actual.length).toBe(expected.length);
  expect(firstDifference(actual, expected)).toBe(-1);
}

/** Edge-case input: full-scale square and alternating extremes (saturation), silence, a ramp. */
function edgeCases(length: number): Int16Array {
  const x = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const seg = Math.floor(i / 400) % 4;
    x[i] = seg === 0 ? (i % 2 ? 32767 : -32768) : seg === 1 ? (Math.floor(i / 7) % 2 ? 32767 : -32768) : seg === 2 ? 0 : (i * 37) % 65536 - 32768;
  }
  return x;
}

describe('WebAssembly kernels: build', () => {
  it.each(WAT_SOURCES)('the committed module is the compilation of %s (npm run build:wasm)', async (wat) => {
    const committed = readFileSync(modulePath(wat), 'utf8');
    expect(await renderFromSource(wat)).toBe(committed);
  });

  it('media/ stays pure: the kernels and their embedded bytes import only media/ siblings (no node:, no I/O)', () => {
    for (const f of ['media/simd-kernels.ts', 'media/resampler.ts', 'media/wasm/halfband-kernels.wasm.ts']) {
      const text = readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');
      const specifiers = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      for (const spec of specifiers) expect(spec, `${f} imports ${spec}`).toMatch(/^\.\//);
      expect(text).not.toMatch(/process\.env|readFileSync|fetch\(/);
    }
  });

  it('runs here (this engine has WebAssembly SIMD), so the suites below compare wasm against JS', () => {
    expect(new Resampler(16000, 8000).kernels).toBe('wasm-simd');
    expect(new Resampler(8000, 16000).kernels).toBe('wasm-simd');
    expect(new Resampler(16000, 8000, { kernels: 'js' }).kernels).toBe('js');
    // ratios other than 2:1 keep their JavaScript kernels
    expect(new Resampler(8000, 24000).kernels).toBe('js');
  });
});

describe.each(RATIO_PAIRS)('WebAssembly kernel %i -> %i bit-exact with the JavaScript kernel', (inRate, outRate) => {
  const frame = inRate / 50; // 20 ms

  it('on noise and full-scale edge cases (saturation, alternating extremes), whole signal', () => {
    const inputs = [toInt16(noise(inRate * 2, 9000, 7)), edgeCases(inRate)];
    for (const input of inputs) {
      const js = run(new Resampler(inRate, outRate, { kernels: 'js' }), input, [input.length]);
      expectSameSamples(run(new Resampler(inRate, outRate), input, [input.length]), js);
    }
  });

  it('in any chunking (odd sizes, 1 sample, larger than the kernel chunk): same as the whole signal', () => {
    const input = toInt16(noise(inRate * 3, 6000, 3));
    const whole = run(new Resampler(inRate, outRate, { kernels: 'js' }), input, [input.length]);
    for (const sizes of [[frame], [1], [7, 1, 333, 2, 1500, 3], [961], [frame + 1, frame - 1]]) {
      expectSameSamples(run(new Resampler(inRate, outRate), input, sizes), whole);
    }
  });

  it('many streams at once keep their own state, and reset() forgets it like the JS path', () => {
    const a = toInt16(noise(inRate, 5000, 11));
    const b = edgeCases(inRate);
    const streams = Array.from({ length: 40 }, () => new Resampler(inRate, outRate));
    const outs = streams.map((r) => new Int16Array(r.maxOutputLength(inRate) + 4));
    const written = streams.map(() => 0);
    for (let i = 0; i < inRate; i += frame) {
      streams.forEach((r, k) => {
        const src = k % 2 ? a : b;
        written[k]! += r.process(src.subarray(i, i + frame), outs[k]!.subarray(written[k]!));
      });
    }
    const jsA = run(new Resampler(inRate, outRate, { kernels: 'js' }), a, [frame]);
    const jsB = run(new Resampler(inRate, outRate, { kernels: 'js' }), b, [frame]);
    streams.forEach((_, k) => expectSameSamples(outs[k]!.subarray(0, written[k]!), k % 2 ? jsA : jsB));

    const wasm = new Resampler(inRate, outRate);
    const js = new Resampler(inRate, outRate, { kernels: 'js' });
    run(wasm, a, [frame]);
    run(js, a, [frame]);
    wasm.reset();
    js.reset();
    expectSameSamples(run(wasm, b, [frame]), run(js, b, [frame]));
  });
});

describe.skipIf(!haveAudioTools())('WebAssembly kernels on real speech (espeak-ng)', () => {
  it.each(RATIO_PAIRS)('%i -> %i: 20 ms frames through wasm = whole signal through JS, bit for bit', (inRate, outRate) => {
    const speech = speechWav(SPEECH, { rate: inRate });
    expect(speech.length).toBeGreaterThan(inRate * 3);
    const jsWhole = run(new Resampler(inRate, outRate, { kernels: 'js' }), speech, [speech.length]);
    const wasmFrames = run(new Resampler(inRate, outRate), speech, [inRate / 50]);
    const wasmWhole = run(new Resampler(inRate, outRate), speech, [speech.length]);
    expectSameSamples(wasmFrames, jsWhole);
    expectSameSamples(wasmWhole, jsWhole);
    // not a trivially silent comparison: the speech carries energy through the filter
    expect(jsWhole.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(3000);
  });
});

describe('fallback to the JavaScript kernels', () => {
  it('an engine without WebAssembly, or one that rejects the SIMD module, gives no wasm runtime', () => {
    expect(loadHalfbandSimd(null)).toBeUndefined();
    const real = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    // an engine without the SIMD proposal fails validation of the module: the same answer
    const withoutSimd: WasmApi = { validate: () => false, Module: real.Module, Instance: real.Instance };
    expect(loadHalfbandSimd(withoutSimd)).toBeUndefined();
    expect(loadHalfbandSimd(real)).toBeDefined();
  });

  it('a real Node without WebAssembly (--jitless) resamples with the JS kernels, same output', () => {
    const script = [
      "import { Resampler } from './media/resampler.ts';",
      'const r = new Resampler(16000, 8000);',
      'const x = new Int16Array(3200); for (let i = 0; i < x.length; i++) x[i] = Math.round(9000 * Math.sin(i / 5) + ((i * 7919) % 2001) - 1000);',
      'const out = new Int16Array(1700); const n = r.process(x, out);',
      'console.log(JSON.stringify({ kernels: r.kernels, wasm: typeof WebAssembly, out: Array.from(out.subarray(0, n)) }));',
    ].join('\n');
    const stdout = execFileSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    const child = JSON.parse(stdout) as { kernels: string; wasm: string; out: number[] };
    expect(child.wasm).toBe('undefined');
    expect(child.kernels).toBe('js');
    const x = new Int16Array(3200);
    for (let i = 0; i < x.length; i++) x[i] = Math.round(9000 * Math.sin(i / 5) + ((i * 7919) % 2001) - 1000);
    const here = new Resampler(16000, 8000);
    expect(here.kernels).toBe('wasm-simd');
    expect(Array.from(run(here, x, [x.length]))).toEqual(child.out);
  });
});
