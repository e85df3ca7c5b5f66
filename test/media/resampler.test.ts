import { describe, expect, it } from 'vitest';
import { Resampler } from '../../media/resampler.js';
import { haveAudioTools, noise, seededRandom, soxResample, speechWav, toInt16 } from '../support/audio-tools.js';
import { normalizedCrossCorrelation, toneAmplitude, toneInt16 } from '../support/signal.js';

const WIDEBAND_RATES = [16000, 22050, 24000, 44100, 48000];
const NARROW = 8000;
const AMPLITUDE = 16000; // −6 dBFS peak: loud but no clipping after passband ripple
const SECONDS = 0.5;

/*
 * Definitions used by the quality tests (the numbers are the acceptance criteria):
 * - Passband: 100 Hz … 3.4 kHz (the G.712 telephone channel). Ripple = max − min
 *   of the measured tone gain (dB) over that band; must be ≤ 0.1 dB, and every
 *   gain within ±0.1 dB of unity.
 * - Stopband: from 4.6 kHz, the mirror of the 3.4 kHz passband edge about the
 *   4 kHz Nyquist frequency. Alias rejection (downsampling to 8 kHz): a tone at
 *   input frequency f folds to |f − k·8000| in the output; every tone whose alias
 *   lands in the telephone channel (≤ 3.4 kHz, i.e. f ≥ 4.6 kHz) must appear there
 *   ≥ 60 dB below the output level of a 1 kHz passband tone of the same input
 *   amplitude. Anything weaker is inaudible under speech and below G.711's own
 *   quantisation noise (~38 dB SNR), which is why 60 dB is enough. Tones at
 *   4.0–4.6 kHz fold to 3.4–4.0 kHz, above the channel: measured and printed only.
 * - Image rejection (upsampling from 8 kHz): a channel tone f ≤ 3.4 kHz creates
 *   images at k·8000 ± f, all ≥ 4.6 kHz; each must be ≥ 60 dB below the 1 kHz
 *   reference output.
 * Levels are measured with a Blackman-Harris-windowed single-bin DFT
 * (toneAmplitude) after skipping the filter's start-up transient.
 */

function runWhole(inRate: number, outRate: number, input: Int16Array): { out: Int16Array; skip: number } {
  const r = new Resampler(inRate, outRate);
  const out = new Int16Array(r.maxOutputLength(input.length));
  const n = r.process(input, out);
  return { out: out.subarray(0, n), skip: Math.ceil(2 * r.delayOutputSamples) + 16 };
}

function outputLevel(inRate: number, outRate: number, inFreq: number, measureFreqs: number[]): number[] {
  const { out, skip } = runWhole(inRate, outRate, toneInt16(inFreq, inRate, SECONDS, AMPLITUDE));
  return measureFreqs.map((f) => toneAmplitude(out, f, outRate, skip));
}

/** Fold a frequency into [0, rate/2]. */
function alias(f: number, rate: number): number {
  const m = f % rate;
  return m > rate / 2 ? rate - m : m;
}

const db = (ratio: number) => 20 * Math.log10(ratio);

function passbandGainsDb(inRate: number, outRate: number): number[] {
  const freqs = Array.from({ length: 34 }, (_, i) => 100 * (i + 1)); // 100 … 3400 Hz
  return freqs.map((f) => db(outputLevel(inRate, outRate, f, [f])[0]! / AMPLITUDE));
}

function expectFlatPassband(gains: number[]): void {
  const ripple = Math.max(...gains) - Math.min(...gains);
  expect(ripple).toBeLessThanOrEqual(0.1);
  for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
}

describe.each(WIDEBAND_RATES)('Resampler %i -> 8000 (downsampling)', (inRate) => {
  it('passband 100 Hz–3.4 kHz: ripple ≤ 0.1 dB', () => {
    expectFlatPassband(passbandGainsDb(inRate, NARROW));
  });

  it('rejects ≥ 60 dB every alias that lands in the telephone channel (input tones from 4.6 kHz to input Nyquist)', () => {
    const reference = outputLevel(inRate, NARROW, 1000, [1000])[0]!;
    let worst = -Infinity;
    let aboveChannel = -Infinity;
    for (let f = 4010; f < inRate / 2 - 10; f += 97) {
      const fa = alias(f, NARROW);
      if (fa < 20 || fa > NARROW / 2 - 10) continue; // DC/Nyquist bins cannot be measured as tones
      const rejection = db(outputLevel(inRate, NARROW, f, [fa])[0]! / reference);
      if (fa > 3400) {
        aboveChannel = Math.max(aboveChannel, rejection);
        continue;
      }
      worst = Math.max(worst, rejection);
      expect(rejection, `tone ${f} Hz -> alias ${fa} Hz`).toBeLessThanOrEqual(-60);
    }
    expect(worst).toBeGreaterThan(-Infinity); // the sweep did measure channel aliases
    console.log(`resample(${inRate}->8000): worst alias in 0-3.4 kHz ${worst.toFixed(1)} dB, in 3.4-4.0 kHz ${aboveChannel.toFixed(1)} dB re 1 kHz`);
  });
});

describe.each(WIDEBAND_RATES)('Resampler 8000 -> %i (upsampling)', (outRate) => {
  it('passband 100 Hz–3.4 kHz: ripple ≤ 0.1 dB', () => {
    expectFlatPassband(passbandGainsDb(NARROW, outRate));
  });

  it('rejects images of channel tones ≥ 60 dB (every image lies at ≥ 4.6 kHz, the stopband)', () => {
    const reference = outputLevel(NARROW, outRate, 1000, [1000])[0]!;
    let worst = -Infinity;
    for (const f of [100, 450, 1000, 1900, 2800, 3100, 3400]) {
      const images: number[] = [];
      for (let k = NARROW; k - f < outRate / 2; k += NARROW) {
        images.push(k - f);
        if (k + f < outRate / 2 - 10) images.push(k + f);
      }
      const levels = outputLevel(NARROW, outRate, f, images);
      levels.forEach((level, i) => {
        const rejection = db(level / reference);
        worst = Math.max(worst, rejection);
        expect(rejection, `tone ${f} Hz -> image ${images[i]} Hz`).toBeLessThanOrEqual(-60);
      });
    }
    console.log(`resample(8000->${outRate}): worst image ${worst.toFixed(1)} dB re 1 kHz`);
  });
});

/** Broadband deterministic test signal: noise plus a tone, at `rate`. */
function testSignal(rate: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const tone = toneInt16(700, rate, seconds, 6000);
  const hiss = noise(n, 3000, rate);
  return toInt16(Array.from(tone, (t, i) => t + hiss[i]!));
}

const DIRECTIONS = WIDEBAND_RATES.flatMap((r) => [[r, NARROW], [NARROW, r]] as const);

describe.each(DIRECTIONS)('Resampler %i -> %i streaming', (inRate, outRate) => {
  const input = testSignal(inRate, 2);
  const frameIn = inRate / 50;
  const frameOut = outRate / 50;

  it('20 ms frames give exactly one 20 ms output frame each and the same bits as one call', () => {
    const whole = runWhole(inRate, outRate, input).out;
    const r = new Resampler(inRate, outRate);
    const out = new Int16Array(r.maxOutputLength(frameIn));
    const streamed: number[] = [];
    for (let off = 0; off + frameIn <= input.length; off += frameIn) {
      const n = r.process(input.subarray(off, off + frameIn), out);
      expect(n).toBe(frameOut);
      streamed.push(...out.subarray(0, n));
    }
    expect(streamed.length).toBe(whole.length);
    expect(Buffer.from(Int16Array.from(streamed).buffer).equals(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength))).toBe(true);
  });

  it('random chunk sizes: bit-exact, within maxOutputLength, total = ceil(N·out/in) (no drift)', () => {
    const whole = runWhole(inRate, outRate, input).out;
    const rnd = seededRandom(inRate + outRate);
    const r = new Resampler(inRate, outRate);
    const out = new Int16Array(r.maxOutputLength(3 * frameIn));
    const streamed: number[] = [];
    for (let off = 0; off < input.length; ) {
      const len = Math.min(input.length - off, Math.floor(rnd() * 3 * frameIn));
      const n = r.process(input.subarray(off, off + len), out);
      expect(n).toBeLessThanOrEqual(r.maxOutputLength(len));
      off += len;
      expect(streamed.push(...out.subarray(0, n))).toBe(Math.ceil((off * outRate) / inRate));
    }
    expect(Int16Array.from(streamed)).toEqual(whole);
  });

  it('reset() forgets history: output equals a fresh instance', () => {
    const r = new Resampler(inRate, outRate);
    const out = new Int16Array(r.maxOutputLength(input.length));
    r.process(input.subarray(0, 777), out);
    r.reset();
    const n = r.process(input, out);
    expect(out.subarray(0, n)).toEqual(runWhole(inRate, outRate, input).out);
  });
});

describe('Resampler basics', () => {
  it('same rate is a plain copy', () => {
    const r = new Resampler(8000, 8000);
    const x = testSignal(8000, 0.1);
    const out = new Int16Array(r.maxOutputLength(x.length));
    expect(r.process(x, out)).toBe(x.length);
    expect(out.subarray(0, x.length)).toEqual(x);
  });

  it('prints itself for pipeline logs', () => {
    expect(String(new Resampler(16000, 8000))).toBe('resample(16000->8000)');
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(8000, 11025.5)).toThrow(RangeError);
  });
});

describe.skipIf(!haveAudioTools())('Resampler against sox on real speech', () => {
  it.each([
    [16000, 8000],
    [8000, 16000],
    [48000, 8000],
  ])('%i -> %i matches sox in shape (correlation ≥ 0.99) at the documented delay', (inRate, outRate) => {
    const speech = speechWav('Please hold while I transfer your call to the billing department.', { rate: inRate });
    const ours = runWhole(inRate, outRate, speech);
    const sox = soxResample(speech, inRate, outRate);
    const delay = new Resampler(inRate, outRate).delayOutputSamples;
    const best = normalizedCrossCorrelation(sox, ours.out, Math.ceil(delay) + 20);
    expect(Math.abs(best.lag - delay)).toBeLessThanOrEqual(1);
    expect(best.corr).toBeGreaterThanOrEqual(0.99);
  });
});
