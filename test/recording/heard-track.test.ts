/**
 * HeardTrack on its own: positions are injected (samples at 8 kHz), so each
 * case states exactly when frames were sent, when their echoes came back and
 * where the far end cut, and checks where the audio lands.
 */
import { describe, expect, it } from 'vitest';
import { HeardTrack } from '../../src/recording/heard-track.js';

const FRAME = 160;
/** A frame whose samples all hold `id`, so the rendered track shows which frame is where. */
const frame = (id: number): Int16Array => new Int16Array(FRAME).fill(id);

function render(track: HeardTrack, from: number, to: number): Int16Array {
  const out = new Int16Array(to - from);
  track.render(from, to, (p, v) => (out[p - from] = v));
  return out;
}

/** Where each frame id starts in `x` (first sample holding it). */
function starts(x: Int16Array, ids: number[], offset = 0): number[] {
  return ids.map((id) => x.indexOf(id) + offset);
}

describe('HeardTrack', () => {
  it('places a run by its most prompt echo, whatever the send times and late echoes say', () => {
    const t = new HeardTrack(8000);
    // A burst of 5 frames sent at 1000 (the far end was idle): really heard from 1400 (delivery delay).
    for (let k = 1; k <= 5; k++) t.sent(frame(k), 1000, k);
    t.played(1, 1400 + FRAME + 90); // late echo
    t.played(2, 1400 + 2 * FRAME + 3); // prompt
    t.played(3, 1400 + 3 * FRAME + 400); // late
    t.played(4, 1400 + 4 * FRAME + 40);
    t.played(5, 1400 + 5 * FRAME + 9);
    const now = 1400 + 5 * FRAME + 2000; // past the settle time
    expect(t.limit(now, 0)).toBe(Infinity);
    expect(starts(render(t, 0, 3000), [1, 2, 3, 4, 5])).toEqual([1403, 1563, 1723, 1883, 2043]);
  });

  it('holds the timeline back while echoes are outstanding or fresh, then places by send time after the wait', () => {
    const t = new HeardTrack(8000);
    t.sent(frame(1), 800, 1);
    expect(t.limit(900, 0)).toBe(800);
    t.played(1, 800 + FRAME + 5);
    expect(t.limit(800 + FRAME + 5 + 1599, 0)).toBe(800); // 200 ms of settling not over
    expect(t.limit(800 + FRAME + 5 + 1600, 0)).toBe(Infinity);
    const never = new HeardTrack(8000);
    never.sent(frame(1), 800, 1); // the far end never answers: placed as sent after 6 s
    expect(never.limit(800 + 47_999, 0)).toBe(800);
    expect(never.limit(800 + 48_000, 0)).toBe(Infinity);
    expect(starts(render(never, 0, 2000), [1])).toEqual([800]);
  });

  it('ignores echoes that came in a stalled burst; a run with none left starts when sent', () => {
    const stalled = (at: number): boolean => at >= 5000 && at < 6000;
    const t = new HeardTrack(8000, stalled);
    for (let k = 1; k <= 3; k++) t.sent(frame(k), 1000, k);
    for (let k = 1; k <= 3; k++) t.played(k, 5500); // all held up on the way back
    for (let k = 4; k <= 5; k++) t.sent(frame(k), 9000, k); // a later run, echoed promptly
    t.played(4, 9100 + FRAME);
    t.played(5, 9100 + 2 * FRAME);
    expect(starts(render(t, 0, 12_000), [1, 2, 3, 4, 5])).toEqual([1000, 1160, 1320, 9100, 9260]);
  });

  it('starts a new run only where, by the send times, the far end had run dry', () => {
    const t = new HeardTrack(8000);
    // Paced frames (sent one frame ahead): one run; then a pause, then a second run.
    t.sent(frame(1), 1000, undefined);
    t.sent(frame(2), 1000 + FRAME, undefined);
    t.sent(frame(3), 1000 + 2 * FRAME + 1, undefined); // clock rounding: still abuts
    t.sent(frame(4), 3000, undefined);
    expect(starts(render(t, 0, 4000), [1, 2, 3, 4])).toEqual([1000, 1160, 1320, 3000]);
  });

  it('cuts at barge-in where the flushed echoes say the far end cut; later audio plays after the cut', () => {
    const t = new HeardTrack(8000);
    for (let k = 1; k <= 6; k++) t.sent(frame(k), 1000, k); // heard from 1000
    t.played(1, 1000 + FRAME);
    t.played(2, 1000 + 2 * FRAME);
    t.cleared(1300); // sent here; the far end got it at 1400, within frame 3
    for (let k = 3; k <= 6; k++) t.played(k, 1400); // flushed: echoed at once on clear
    t.sent(frame(7), 1500, 7);
    t.played(7, 1500 + FRAME);
    const out = render(t, 0, 3000);
    expect(starts(out, [1, 2, 3, 7])).toEqual([1000, 1160, 1320, 1500]);
    expect(out.subarray(1320, 1400).every((v) => v === 3)).toBe(true);
    expect(out.subarray(1400, 1500).every((v) => v === 0)).toBe(true); // frame 3's rest and 4-6 never played
    expect(out.includes(4) || out.includes(5) || out.includes(6)).toBe(false);
  });

  it('writes each sample once as the timeline advances, and keeps a run whose head is written in one piece', () => {
    const t = new HeardTrack(8000);
    for (let k = 1; k <= 4; k++) t.sent(frame(k), 1000, k);
    t.played(1, 1000 + FRAME);
    const first = render(t, 0, 1100);
    t.played(4, 1000 + 4 * FRAME - 50); // would pull the run earlier: too late, its head is written
    const second = render(t, 1100, 2000);
    const all = new Int16Array(2000);
    all.set(first, 0);
    all.set(second, 1100);
    expect(starts(all, [1, 2, 3, 4])).toEqual([1000, 1160, 1320, 1480]);
  });

  it('end() cuts what had not played by the end of the call', () => {
    const t = new HeardTrack(8000);
    for (let k = 1; k <= 3; k++) t.sent(frame(k), 1000, k);
    t.end(1200);
    const out = render(t, 0, 2000);
    expect(out.subarray(1000, 1160).every((v) => v === 1)).toBe(true);
    expect(out.subarray(1160, 1200).every((v) => v === 2)).toBe(true);
    expect(out.subarray(1200).every((v) => v === 0)).toBe(true);
  });
});
