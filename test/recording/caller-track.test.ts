/**
 * CallerTrack on its own: arrival positions are injected (samples at 8 kHz),
 * so each case states when frames arrived and checks where they land.
 */
import { describe, expect, it } from 'vitest';
import { CallerTrack } from '../../src/recording/caller-track.js';

/** A payload whose decoded samples all hold `id`. */
const frame = (id: number): Uint8Array => new Uint8Array(160).fill(id);
const decode = (p: Uint8Array): Int16Array => Int16Array.from(p);

function render(t: CallerTrack, from: number, to: number): Int16Array {
  const out = new Int16Array(to - from);
  t.render(from, to, (p, v) => (out[p - from] = v));
  return out;
}

const starts = (x: Int16Array, ids: number[]): number[] => ids.map((id) => x.indexOf(id));

describe('CallerTrack', () => {
  it('places frames by media time: late and out-of-order arrivals land where their stamps say', () => {
    const t = new CallerTrack(8000, 1, decode);
    // Frame k (media 20k ms) sent at 1000 + 160k; arrivals delayed 0 … 700 samples, 3 before 2.
    const arrivals: Array<[number, number]> = [[1, 1000 + 300], [3, 1320 + 160 + 20], [2, 1160 + 700], [4, 1480 + 5], [5, 1640 + 0]];
    for (const [id, at] of arrivals) t.add(frame(id), (id - 1) * 20, 0xabc, at);
    expect(t.base).toBe(1000); // the most prompt frame (5, on time)
    expect(t.ready(1000)).toBe(1800);
    expect(starts(render(t, 0, 2000), [1, 2, 3, 4, 5])).toEqual([1000, 1160, 1320, 1480, 1640]);
  });

  it('a missing frame holds `ready` at the gap; a frame after its place was written is dropped', () => {
    const t = new CallerTrack(8000, 1, decode);
    t.add(frame(1), 0, 1, 0);
    t.add(frame(3), 40, 1, 320);
    expect(t.ready(0)).toBe(160);
    expect(starts(render(t, 0, 480), [1, 3])).toEqual([0, 320]);
    t.add(frame(2), 20, 1, 2000); // 1.8 s late: its place is written already
    expect(render(t, 480, 640).every((v) => v === 0)).toBe(true);
  });

  it('a new stream (SSRC) or a media clock jump starts a new placement at its arrival', () => {
    const t = new CallerTrack(8000, 1, decode);
    t.add(frame(1), 0, 1, 0);
    t.add(frame(2), 20, 1, 160);
    t.add(frame(3), 5000, 2, 320); // new SSRC, its own timestamps
    t.add(frame(4), 5020, 2, 480);
    t.add(frame(5), 90_000, 2, 640); // timestamps jumped 85 s ahead, no time passed
    expect(starts(render(t, 0, 1000), [1, 2, 3, 4, 5])).toEqual([0, 160, 320, 480, 640]);
  });

  it('G.722: two samples per payload byte, at 16 kHz', () => {
    const t = new CallerTrack(16000, 2, (p) => Int16Array.from({ length: p.length * 2 }, (_, i) => p[i >> 1]!));
    t.add(frame(1), 0, 9, 100);
    t.add(frame(2), 20, 9, 420);
    expect(t.ready(100)).toBe(740);
    expect(starts(render(t, 0, 800), [1, 2])).toEqual([100, 420]);
  });
});
