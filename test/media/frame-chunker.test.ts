import { describe, expect, it } from 'vitest';
import { FrameChunker } from '../../media/frame-chunker.js';
import { MULAW_SILENCE } from '../../media/g711.js';
import { seededRandom } from '../support/audio-tools.js';

/** Stream bytes 0,1,2,… (mod 251, a prime, so frame boundaries never realign with the pattern). */
function stream(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 251);
}

/** Split `data` into random-sized chunks in [0, maxChunk]. */
function randomSplit(data: Uint8Array, maxChunk: number, rnd: () => number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < data.length; ) {
    const len = Math.min(data.length - off, Math.floor(rnd() * (maxChunk + 1)));
    parts.push(data.slice(off, off + len));
    off += len;
  }
  return parts;
}

function collect(chunker: FrameChunker, parts: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const p of parts) chunker.push(p, (f) => frames.push(f));
  return frames;
}

describe('FrameChunker', () => {
  it.each([
    { frame: 160, maxChunk: 7 }, // chunks much smaller than a frame
    { frame: 160, maxChunk: 1000 }, // multi-frame chunks with odd tails
    { frame: 320, maxChunk: 320 },
    { frame: 1, maxChunk: 50 },
  ])('re-frames random splits exactly (frame $frame, chunks 0..$maxChunk)', ({ frame, maxChunk }) => {
    const rnd = seededRandom(frame * 7919 + maxChunk);
    for (let trial = 0; trial < 20; trial++) {
      const data = stream(Math.floor(rnd() * 5000));
      const chunker = new FrameChunker(frame);
      const frames = collect(chunker, randomSplit(data, maxChunk, rnd));
      const whole = Math.floor(data.length / frame);
      expect(frames.length).toBe(whole);
      expect(frames.every((f) => f.length === frame)).toBe(true);
      expect(Buffer.concat(frames).equals(Buffer.from(data.subarray(0, whole * frame)))).toBe(true);
      expect(chunker.pendingBytes).toBe(data.length - whole * frame);
    }
  });

  it('emitted frames are independent copies: later input and mutation of the source do not change them', () => {
    const chunker = new FrameChunker(4);
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const frames = collect(chunker, [src]);
    src.fill(0);
    collect(chunker, [Uint8Array.from([7, 8, 9, 10, 11, 12])]);
    expect(Array.from(frames[0]!)).toEqual([1, 2, 3, 4]);
  });

  it('a frame completed from the pending buffer is not overwritten by the next one', () => {
    const chunker = new FrameChunker(3);
    const frames = collect(chunker, [Uint8Array.of(1), Uint8Array.of(2, 3, 4), Uint8Array.of(5, 6, 7)]);
    expect(frames.map((f) => Array.from(f))).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('flush pads the partial frame with the given byte, then is empty', () => {
    const chunker = new FrameChunker(5);
    collect(chunker, [Uint8Array.of(9, 8)]);
    const out: Uint8Array[] = [];
    chunker.flush((f) => out.push(f), MULAW_SILENCE);
    chunker.flush((f) => out.push(f), MULAW_SILENCE);
    expect(out.map((f) => Array.from(f))).toEqual([[9, 8, 0xff, 0xff, 0xff]]);
    expect(chunker.pendingBytes).toBe(0);
  });

  it('clear drops pending bytes so the next frame starts fresh', () => {
    const chunker = new FrameChunker(2);
    collect(chunker, [Uint8Array.of(1)]);
    chunker.clear();
    expect(collect(chunker, [Uint8Array.of(2, 3)]).map((f) => Array.from(f))).toEqual([[2, 3]]);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameChunker(0)).toThrow(RangeError);
  });
});
