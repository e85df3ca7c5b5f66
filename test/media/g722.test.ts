import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, G722_FRAME_BYTES, G722_FRAME_SAMPLES } from '../../media/g722.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { toneAmplitude, toneInt16 } from '../support/signal.js';
import { alignedSnr } from './g722-helpers.js';

const RATE = 16000;

function roundTrip(pcm: Int16Array): Int16Array {
  return new G722Decoder().decode(new G722Encoder().encode(pcm));
}

describe('G.722 codec (pure)', () => {
  it('codes 20 ms (320 samples) into 160 octets and back into 320 samples', () => {
    const enc = new G722Encoder(), dec = new G722Decoder();
    const bytes = enc.encode(new Int16Array(G722_FRAME_SAMPLES));
    expect(bytes.length).toBe(G722_FRAME_BYTES);
    expect(dec.decode(bytes).length).toBe(G722_FRAME_SAMPLES);
  });

  it('keeps both sub-bands: a 1 kHz (lower band) and a 6 kHz (higher band) tone come back at their level', () => {
    for (const f of [1000, 6000]) {
      const tone = toneInt16(f, RATE, 0.5, 10000);
      const out = roundTrip(tone);
      const level = toneAmplitude(out, f, RATE, 800);
      console.log(`G.722 ${f} Hz tone: ${(20 * Math.log10(level / 10000)).toFixed(2)} dB`);
      expect(Math.abs(20 * Math.log10(level / 10000))).toBeLessThan(0.5);
    }
  });

  it('streaming in 20 ms frames into caller buffers equals whole-signal coding, odd chunks included', () => {
    const x = toneInt16(440, RATE, 1, 8000).map((v, i) => v + ((i * 7919) % 2001) - 1000) as Int16Array;
    const whole = new G722Encoder().encode(x);
    const enc = new G722Encoder();
    const framed = new Uint8Array(whole.length);
    const out = new Uint8Array(G722_FRAME_BYTES);
    for (let i = 0; i < x.length; i += G722_FRAME_SAMPLES) {
      const got = enc.encode(x.subarray(i, i + G722_FRAME_SAMPLES), out);
      expect(got.buffer).toBe(out.buffer); // written into the caller's buffer
      framed.set(got, i / 2);
    }
    expect(framed).toEqual(whole);

    const odd = new G722Encoder();
    const parts: number[] = [];
    for (let i = 0, step = 1; i < x.length; i += step, step = (step % 7) + 1) parts.push(...odd.encode(x.subarray(i, i + step)));
    expect(Uint8Array.from(parts)).toEqual(whole);

    const wholePcm = new G722Decoder().decode(whole);
    const dec = new G722Decoder();
    const pcmOut = new Int16Array(G722_FRAME_SAMPLES);
    for (let i = 0; i < whole.length; i += G722_FRAME_BYTES) {
      const got = dec.decode(whole.subarray(i, i + G722_FRAME_BYTES), pcmOut);
      expect(got.buffer).toBe(pcmOut.buffer);
      expect(got).toEqual(wholePcm.subarray(2 * i, 2 * i + G722_FRAME_SAMPLES));
    }
  });

  it('handles bad lengths: empty input, an odd sample held for the next call, a too-small out buffer', () => {
    const enc = new G722Encoder();
    expect(enc.encode(new Int16Array(0)).length).toBe(0);
    expect(enc.encode(new Int16Array(3)).length).toBe(1); // the third sample waits
    expect(enc.outputLength(1)).toBe(1);
    expect(enc.encode(new Int16Array(1)).length).toBe(1);
    expect(() => enc.encode(new Int16Array(320), new Uint8Array(159))).toThrow(RangeError);
    const dec = new G722Decoder();
    expect(dec.decode(new Uint8Array(0)).length).toBe(0);
    expect(dec.decode(new Uint8Array(1)).length).toBe(2);
    expect(() => dec.decode(new Uint8Array(160), new Int16Array(319))).toThrow(RangeError);
  });

  it('decodes any octet stream (random bytes) without leaving the int16 range or throwing', () => {
    const junk = Uint8Array.from({ length: 16000 }, (_, i) => (i * 2654435761) >>> 24);
    const out = new G722Decoder().decode(junk);
    expect(out.length).toBe(32000);
    expect(out.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('reset() returns to the initial state', () => {
    const x = toneInt16(300, RATE, 0.1, 5000);
    const enc = new G722Encoder();
    const first = enc.encode(x).slice();
    enc.encode(x);
    enc.reset();
    expect(enc.encode(x)).toEqual(first);
  });

  describe.skipIf(!haveAudioTools())('on real speech (espeak-ng via sox at 16 kHz)', () => {
    it('round trip SNR stays above 24 dB (measured 28.6)', () => {
      const speech = speechWav('Thank you for calling. Your order number is four two seven nine.', { rate: RATE });
      const { snr, lag } = alignedSnr(speech, roundTrip(speech));
      console.log(`G.722 round trip on speech: SNR ${snr.toFixed(2)} dB at lag ${lag} samples`);
      expect(lag).toBe(22); // the two 24-tap QMFs (with this sample pairing: 22 samples, ~1.4 ms)
      expect(snr).toBeGreaterThan(24);
    });
  });
});
