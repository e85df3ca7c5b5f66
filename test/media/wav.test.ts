import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingToolsReason } from '../support/tools.js';
import { encodeWav, parseWav, pcm16FromBytes, pcm16ToBytes, WavError } from '../../media/wav.js';

/** Builds a RIFF file from raw chunks, padding odd bodies as the spec says. */
function riff(chunks: Array<[string, Uint8Array]>, opts: { pad?: boolean; form?: string } = {}): Uint8Array {
  const parts: number[] = [];
  const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  for (const [id, body] of chunks) {
    parts.push(...ascii(id), ...u32(body.length), ...body);
    if (body.length & 1 && opts.pad !== false) parts.push(0);
  }
  return Uint8Array.from([...ascii('RIFF'), ...u32(parts.length + 4), ...ascii(opts.form ?? 'WAVE'), ...parts]);
}

function fmtBody(tag: number, channels: number, rate: number, bits: number, extra: number[] = []): Uint8Array {
  const b = new Uint8Array(16 + extra.length);
  const v = new DataView(b.buffer);
  const block = (channels * bits) / 8;
  v.setUint16(0, tag, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * block, true);
  v.setUint16(12, block, true);
  v.setUint16(14, bits, true);
  b.set(extra, 16);
  return b;
}

function extensible(subTag: number, bits: number): Uint8Array {
  // cbSize=22, validBits, channelMask, SubFormat GUID {tag}-0000-0010-8000-00aa00389b71
  const extra = [22, 0, bits, 0, 4, 0, 0, 0, subTag, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
  return fmtBody(0xfffe, 1, 8000, bits, extra);
}

function expectWavError(bytes: Uint8Array, code: string, message: RegExp): void {
  let err: unknown;
  try {
    parseWav(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WavError);
  expect((err as WavError).code).toBe(code);
  expect((err as WavError).message).toMatch(message);
}

describe('encodeWav / parseWav', () => {
  it('round-trips PCM16 samples and writes the canonical 44-byte header', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const wav = encodeWav({ sampleRate: 8000, encoding: 'pcm16', data: samples });
    expect(wav.byteLength).toBe(44 + 12);
    const parsed = parseWav(wav);
    expect(parsed).toMatchObject({ sampleRate: 8000, channels: 1, encoding: 'pcm16' });
    expect([...pcm16FromBytes(parsed.data)]).toEqual([...samples]);
    expect(Buffer.from(wav.subarray(0, 4)).toString()).toBe('RIFF');
  });

  it('round-trips u-law and A-law bytes (with fact chunk) and odd lengths', () => {
    for (const encoding of ['ulaw', 'alaw'] as const) {
      const data = Uint8Array.from({ length: 161 }, (_, i) => (i * 7) & 0xff);
      const wav = encodeWav({ sampleRate: 8000, encoding, data });
      expect(wav.byteLength % 2).toBe(0); // odd data chunk is padded
      const parsed = parseWav(wav);
      expect(parsed.encoding).toBe(encoding);
      expect([...parsed.data]).toEqual([...data]);
    }
  });

  it('keeps stereo and other sample rates', () => {
    const data = pcm16ToBytes(Int16Array.from([1, 2, 3, 4]));
    const parsed = parseWav(encodeWav({ sampleRate: 16000, encoding: 'pcm16', data, channels: 2 }));
    expect(parsed).toMatchObject({ sampleRate: 16000, channels: 2 });
    expect(parsed.data.byteLength).toBe(8);
  });

  it('skips unknown chunks, including odd-sized ones with a pad byte', () => {
    const audio = Uint8Array.from([0xff, 0x7f, 0x00]);
    const wav = riff([
      ['LIST', Uint8Array.from([1, 2, 3])],
      ['fmt ', fmtBody(7, 1, 8000, 8)],
      ['junk', new Uint8Array(5)],
      ['data', audio],
    ]);
    const parsed = parseWav(wav);
    expect(parsed.encoding).toBe('ulaw');
    expect([...parsed.data]).toEqual([...audio]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE wrapping PCM and u-law', () => {
    const pcm = parseWav(riff([['fmt ', extensible(1, 16)], ['data', new Uint8Array(4)]]));
    expect(pcm.encoding).toBe('pcm16');
    const ulaw = parseWav(riff([['fmt ', extensible(7, 8)], ['data', new Uint8Array(4)]]));
    expect(ulaw.encoding).toBe('ulaw');
  });

  it('accepts a streamed data chunk whose size is unknown (0 or 0xFFFFFFFF)', () => {
    const wav = riff([['fmt ', fmtBody(1, 1, 8000, 16)], ['data', new Uint8Array(10)]]);
    new DataView(wav.buffer).setUint32(wav.byteLength - 14, 0xffffffff, true);
    expect(parseWav(wav).data.byteLength).toBe(10);
  });

  it('drops a trailing partial PCM16 frame', () => {
    const wav = riff([['fmt ', fmtBody(1, 1, 8000, 16)], ['data', new Uint8Array(5)]]);
    expect(parseWav(wav).data.byteLength).toBe(4);
  });

  it('parses from a Uint8Array view at an odd offset', () => {
    const wav = encodeWav({ sampleRate: 8000, encoding: 'pcm16', data: Int16Array.from([7, -7]) });
    const big = new Uint8Array(wav.byteLength + 1);
    big.set(wav, 1);
    const parsed = parseWav(big.subarray(1));
    expect(parsed.data.byteOffset).toBe(0);
    expect([...pcm16FromBytes(parsed.data)]).toEqual([7, -7]);
  });
});

describe('parseWav errors', () => {
  it('rejects short, non-RIFF and non-WAVE input', () => {
    expectWavError(new Uint8Array(4), 'truncated', /too short/);
    expectWavError(new TextEncoder().encode('ID3\u0004 this is an mp3 file'), 'not_riff', /not a RIFF/);
    expectWavError(riff([], { form: 'AVI ' }), 'not_wave', /AVI/);
    const rifx = riff([]);
    rifx[3] = 'X'.charCodeAt(0);
    expectWavError(rifx, 'not_riff', /RIFX/);
  });

  it('rejects missing fmt or data chunks', () => {
    expectWavError(riff([['data', new Uint8Array(2)]]), 'no_fmt', /before any fmt/);
    expectWavError(riff([['fmt ', fmtBody(1, 1, 8000, 16)]]), 'no_data', /no data chunk/);
    expectWavError(riff([]), 'no_fmt', /no fmt chunk/);
  });

  it('rejects unsupported encodings with a useful message', () => {
    expectWavError(riff([['fmt ', fmtBody(3, 1, 8000, 32)], ['data', new Uint8Array(4)]]), 'unsupported_format', /tag 3, 32-bit/);
    expectWavError(riff([['fmt ', fmtBody(1, 1, 8000, 8)], ['data', new Uint8Array(4)]]), 'unsupported_format', /8-bit/);
    expectWavError(riff([['fmt ', fmtBody(0x11, 1, 8000, 4)], ['data', new Uint8Array(4)]]), 'unsupported_format', /tag 17/);
  });

  it('rejects truncated chunks', () => {
    expectWavError(riff([['fmt ', new Uint8Array(10)], ['data', new Uint8Array(2)]]), 'truncated', /fmt chunk is 10 bytes/);
    const wav = riff([['LIST', new Uint8Array(8)], ['fmt ', fmtBody(1, 1, 8000, 16)], ['data', new Uint8Array(2)]]);
    new DataView(wav.buffer).setUint32(16, 1000, true);
    expectWavError(wav, 'truncated', /"LIST" declares 1000/);
  });
});

const noSox = missingToolsReason(['sox']);

describe.skipIf(noSox !== undefined)('cross-check with sox', () => {
  function withDir<T>(fn: (dir: string) => T): T {
    const dir = mkdtempSync(join(tmpdir(), 'wav-sox-'));
    try {
      return fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ['u-law', 8, 'ulaw'],
    ['a-law', 8, 'alaw'],
    ['signed-integer', 16, 'pcm16'],
  ] as const)('parses what sox writes (%s) and sox reads what we write', (soxEncoding, bits, encoding) =>
    withDir((dir) => {
      const src = join(dir, 'sox.wav');
      const r = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', soxEncoding, '-b', String(bits), src, 'synth', '0.25', 'sine', '440']);
      expect(r.status, String(r.stderr)).toBe(0);
      const parsed = parseWav(readFileSync(src));
      expect(parsed).toMatchObject({ sampleRate: 8000, channels: 1, encoding });
      expect(parsed.data.byteLength).toBe(2000 * (bits / 8));

      const ours = join(dir, 'ours.wav');
      writeFileSync(ours, encodeWav(parsed));
      const info = spawnSync('sox', ['--i', ours], { encoding: 'utf8' });
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toMatch(/Sample Rate\s*:\s*8000/);
      expect(info.stdout).toMatch(/Duration\s*:\s*00:00:00\.25 = 2000 samples/);
      // sox decodes our file to the same raw bytes it started from.
      const raw = spawnSync('sox', [ours, '-t', 'raw', '-'], { maxBuffer: 1 << 20 });
      expect(Buffer.compare(raw.stdout, Buffer.from(parsed.data))).toBe(0);
    }),
  );

  it('parses sox WAVE_FORMAT_EXTENSIBLE output (24-bit is refused with a clear message)', () =>
    withDir((dir) => {
      const f = join(dir, 'ext.wav');
      spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '24', f, 'synth', '0.1', 'sine', '440']);
      expectWavError(readFileSync(f), 'unsupported_format', /tag 1, 24-bit/);
    }),
  );
});
