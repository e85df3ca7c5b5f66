import { describe, expect, it } from 'vitest';
import { parseAudioFormat } from '../../media/audio-format.js';
import { G722Decoder, G722Encoder } from '../../media/g722.js';
import { mulawToPcm, pcmToMulaw } from '../../media/g711.js';
import { Downlink, Uplink } from '../../src/call/audio-path.js';
import { clipFrames, defaultFallbackClip } from '../../src/call/audio-clip.js';
import { normalizedCrossCorrelation, toneInt16 } from '../support/signal.js';

/** A 16 kHz test signal: two tones, 1 s. */
function wideband(): Int16Array {
  const a = toneInt16(440, 16000, 1, 6000);
  const b = toneInt16(5200, 16000, 1, 3000); // above G.711's 4 kHz band: only a wideband path keeps it
  return Int16Array.from(a, (v, i) => v + b[i]!);
}

function g722Frames(pcm: Int16Array): Uint8Array[] {
  const enc = new G722Encoder();
  return Array.from({ length: pcm.length / 320 }, (_, k) => enc.encode(pcm.subarray(k * 320, k * 320 + 320)));
}

const pcmOf = (b64: string): Int16Array => {
  const buf = Buffer.from(b64, 'base64');
  return new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2).slice();
};

describe('Uplink / Downlink with a G.722 leg', () => {
  it('G.722 → pcm_16000: the agent gets the decoded 16 kHz audio sample for sample, no resampler in the chain', () => {
    const frames = g722Frames(wideband());
    const up = new Uplink('g722', parseAudioFormat('pcm_16000'));
    expect(String(up)).toBe('G722(decode) -> pcm_16000');
    const ref = new G722Decoder();
    for (const payload of frames) {
      const got = pcmOf(up.toAgent({ payload }));
      expect(got).toEqual(ref.decode(payload));
    }
  });

  it('G.722 → pcm_8000 and ulaw_8000 go through the resampler (320 → 160 samples per frame)', () => {
    const frames = g722Frames(wideband());
    const to8k = new Uplink('g722', parseAudioFormat('pcm_8000'));
    expect(String(to8k)).toMatch(/^G722\(decode\) -> resample\(16000->8000\)/);
    const total = frames.reduce((n, payload) => n + pcmOf(to8k.toAgent({ payload })).length, 0);
    expect(Math.abs(total - frames.length * 160)).toBeLessThanOrEqual(40);
    const ulaw = new Uplink('g722', parseAudioFormat('ulaw_8000'));
    const bytes = frames.reduce((n, payload) => n + Buffer.from(ulaw.toAgent({ payload }), 'base64').length, 0);
    expect(Math.abs(bytes - frames.length * 160)).toBeLessThanOrEqual(40);
  });

  it('pcm_16000 → G.722: exact 160-byte frames that decode back to the agent audio, 5.2 kHz kept', () => {
    const pcm = wideband();
    const down = new Downlink(parseAudioFormat('pcm_16000'), 'g722');
    expect(String(down)).toBe('pcm_16000 -> G722(encode)');
    const frames: Uint8Array[] = [];
    // Odd-sized agent chunks, as ElevenLabs sends them.
    for (let i = 0; i < pcm.length; i += 777) {
      const chunk = pcm.subarray(i, i + 777);
      down.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64'), (f) => frames.push(f.slice()));
    }
    expect(frames.length).toBe(Math.floor(pcm.length / 320));
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const dec = new G722Decoder();
    const back = new Int16Array(frames.length * 320);
    frames.forEach((f, k) => dec.decode(f, back.subarray(k * 320, k * 320 + 320)));
    expect(normalizedCrossCorrelation(pcm, back, 100).corr).toBeGreaterThan(0.95);
  });

  it('G.711 legs are unchanged: μ-law relays untouched to a ulaw agent, decodes and resamples for pcm_16000', () => {
    const pcm8k = toneInt16(440, 8000, 0.2, 8000);
    const ulaw = new Uint8Array(pcm8k.length);
    pcmToMulaw(pcm8k, ulaw);
    const relay = new Uplink('ulaw', parseAudioFormat('ulaw_8000'));
    expect(String(relay)).toBe('PCMU(relay) -> ulaw_8000');
    expect(Buffer.from(relay.toAgent({ payload: ulaw.subarray(0, 160) }), 'base64')).toEqual(Buffer.from(ulaw.subarray(0, 160)));
    const wide = new Uplink('ulaw', parseAudioFormat('pcm_16000'));
    expect(String(wide)).toMatch(/^PCMU\(decode\) -> resample\(8000->16000\)/);
    const alawAgent = new Uplink('ulaw', parseAudioFormat('alaw_8000'));
    expect(Buffer.from(alawAgent.toAgent({ payload: ulaw.subarray(0, 160) }), 'base64').length).toBe(160);
    const back = new Int16Array(160);
    mulawToPcm(ulaw.subarray(0, 160), back);
    expect(normalizedCrossCorrelation(pcm8k.subarray(0, 160), back, 4).corr).toBeGreaterThan(0.99);
  });

  it('clips (fallback) on a G.722 leg: 160-byte frames of 16 kHz audio', () => {
    const clip = defaultFallbackClip();
    const frames = clipFrames(clip, 'g722');
    expect(frames.length).toBe(50);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const dec = new G722Decoder();
    const pcm = new Int16Array(frames.length * 320);
    frames.forEach((f, k) => dec.decode(f, pcm.subarray(k * 320, k * 320 + 320)));
    const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(3000);
  });
});

describe('Downlink: μ-law agent chunks relayed as base64', () => {
  /** What the decode-and-re-encode path sends for `chunks`: the base64 of each 160-byte frame. */
  function reencoded(chunks: string[]): string[] {
    const d = new Downlink(parseAudioFormat('ulaw_8000'), 'ulaw');
    const out: string[] = [];
    for (const c of chunks) d.push(c, (f) => out.push(Buffer.from(f).toString('base64')));
    return out;
  }

  function relayed(chunks: string[]): { frames: string[]; whole: number } {
    const d = new Downlink(parseAudioFormat('ulaw_8000'), 'ulaw');
    const frames: string[] = [];
    let whole = 0;
    for (const c of chunks) {
      d.push(c, (f) => frames.push(Buffer.from(f).toString('base64')), (b64) => {
        whole++;
        frames.push(b64);
      });
    }
    return { frames, whole };
  }

  const frame = (seed: number): Buffer => Buffer.from(Array.from({ length: 160 }, (_, i) => (seed * 131 + i * 37) & 0xff));

  it('a frame-sized chunk goes out as its own text, the same text the re-encoding path produces', () => {
    // Every value of the last byte, so all four canonical final characters (A, Q, g, w) occur.
    const chunks = Array.from({ length: 256 }, (_, k) => {
      const f = frame(k);
      f[159] = k;
      return f.toString('base64');
    });
    const r = relayed(chunks);
    expect(r.whole).toBe(256);
    expect(r.frames).toEqual(chunks);
    expect(r.frames).toEqual(reencoded(chunks));
  });

  it('anything but one canonical frame with nothing held back takes the re-encoding path, with the same frames', () => {
    const f = frame(1).toString('base64');
    // The same bytes with non-zero padding bits (RFC 4648 §3.5): decoders ignore them; Twilio gets the canonical text.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const noncanonical = f.slice(0, 213) + ALPHABET[ALPHABET.indexOf(f[213]!) | 1] + '==';
    expect(Buffer.from(noncanonical, 'base64')).toEqual(frame(1));
    const urlSafe = frame(2).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? '-' : '_'));
    const three = Buffer.concat([frame(3), frame(4), frame(5)]).toString('base64');
    const half = frame(6).subarray(0, 80).toString('base64');
    const chunks = [noncanonical, urlSafe, three, half, f, frame(7).subarray(80).toString('base64'), f];
    expect(urlSafe).toMatch(/[-_]/);
    const r = relayed(chunks);
    expect(r.frames).toEqual(reencoded(chunks));
    // Only the last chunk qualifies: the one before it arrived while half a frame was held back.
    expect(r.whole).toBe(1);
    expect(r.frames[0]).toBe(f);
    expect(r.frames).toHaveLength(1 + 1 + 3 + 1 + 1 + 1);
  });

  it('one frame\'s worth of text with a character outside the base64 alphabet is re-encoded, not relayed', () => {
    const canonical = Array.from({ length: 64 }, (_, k) => frame(k).toString('base64')).filter((t) => /[+/]/.test(t.slice(0, 213)));
    const urlSafe = canonical.map((t) => t.replace(/[+/]/g, (c) => (c === '+' ? '-' : '_')));
    const spaced = canonical.map((t) => t.slice(0, 100) + ' ' + t.slice(101)); // one alphabet character replaced by a space
    expect(urlSafe.length).toBeGreaterThan(0);
    for (const t of [...urlSafe, ...spaced]) expect(t).toHaveLength(216);
    const r = relayed([...urlSafe, ...spaced]);
    expect(r.whole).toBe(0);
    expect(r.frames).toEqual(reencoded([...urlSafe, ...spaced]));
    expect(r.frames.slice(0, urlSafe.length)).toEqual(canonical); // Node reads the url-safe alphabet too: the same bytes, canonical text out
  });

  it('a transcoding downlink never relays text', () => {
    const d = new Downlink(parseAudioFormat('ulaw_8000'), 'alaw');
    let whole = 0;
    let frames = 0;
    d.push(frame(1).toString('base64'), () => frames++, () => whole++);
    expect([frames, whole]).toEqual([1, 0]);
  });
});
