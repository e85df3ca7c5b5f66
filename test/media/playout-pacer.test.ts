import { describe, expect, it } from 'vitest';
import { PlayoutPacer } from '../../media/playout-pacer.js';

describe('PlayoutPacer', () => {
  it('sends at once up to the lead, then one frame per frame time', () => {
    const p = new PlayoutPacer<number>({ leadMs: 100, maxQueuedMs: 10_000 });
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) p.enqueue(i, 20);
    p.pump(0, (v) => sent.push(v));
    expect(sent).toEqual([0, 1, 2, 3, 4]); // 100 ms ahead
    p.pump(20, (v) => sent.push(v));
    expect(sent.length).toBe(6);
    p.pump(100, (v) => sent.push(v));
    expect(sent.length).toBe(10); // played up to 100 ms, so 200 ms sent
    expect(p.aheadMs(100)).toBe(100);
    expect(p.pendingMs).toBe(200);
  });

  it('keeps markers in order with the audio around them', () => {
    const p = new PlayoutPacer<string>({ leadMs: 40, maxQueuedMs: 10_000 });
    const sent: string[] = [];
    p.enqueue('a1', 20); p.enqueue('a2', 20); p.enqueue('mark', 0); p.enqueue('a3', 20);
    p.pump(0, (v) => sent.push(v));
    expect(sent).toEqual(['a1', 'a2', 'mark']);
    p.pump(20, (v) => sent.push(v));
    expect(sent).toEqual(['a1', 'a2', 'mark', 'a3']);
  });

  it('clear drops what was not sent and resets the playout estimate', () => {
    const p = new PlayoutPacer<number>({ leadMs: 60, maxQueuedMs: 10_000 });
    for (let i = 0; i < 10; i++) p.enqueue(i, 20);
    p.pump(0, () => undefined);
    expect(p.clear(10)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(p.aheadMs(10)).toBe(0);
    expect(p.pendingItems).toBe(0);
  });

  it('bounds the queue by dropping the oldest audio and counting it', () => {
    const p = new PlayoutPacer<number>({ leadMs: 20, maxQueuedMs: 100 });
    for (let i = 0; i < 8; i++) p.enqueue(i, 20);
    expect(p.dropped).toBe(3);
    const sent: number[] = [];
    for (let t = 0; t <= 200; t += 20) p.pump(t, (v) => sent.push(v));
    expect(sent).toEqual([3, 4, 5, 6, 7]);
  });

  it('offer sends exactly what enqueue + pump would, and leaves the rest to the queue', () => {
    // Two pacers fed the same random mix of frames, markers and clock steps: one always
    // enqueue + pump, the other offer first (enqueue + pump only when refused).
    let seed = 1;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const a = new PlayoutPacer<number>({ leadMs: 60, maxQueuedMs: 400 });
    const b = new PlayoutPacer<number>({ leadMs: 60, maxQueuedMs: 400 });
    const sentA: Array<[number, number]> = [];
    const sentB: Array<[number, number]> = [];
    let now = 0;
    let offered = 0;
    for (let i = 0; i < 5000; i++) {
      const op = rnd(10);
      if (op < 5) now += rnd(45);
      else if (op < 6) {
        a.pump(now, (v) => sentA.push([now, v]));
        b.pump(now, (v) => sentB.push([now, v]));
      } else {
        const d = op === 6 ? 0 : 20;
        a.enqueue(i, d);
        a.pump(now, (v) => sentA.push([now, v]));
        if (b.offer(i, d, now, (v) => sentB.push([now, v]))) offered++;
        else {
          b.enqueue(i, d);
          b.pump(now, (v) => sentB.push([now, v]));
        }
      }
      expect([b.pendingItems, b.pendingMs, b.aheadMs(now)]).toEqual([a.pendingItems, a.pendingMs, a.aheadMs(now)]);
    }
    expect(sentB).toEqual(sentA);
    expect(a.dropped).toBe(b.dropped);
    // Both branches ran many times.
    expect(offered).toBeGreaterThan(100);
    expect(sentA.length - offered).toBeGreaterThan(100);
  });

  it('does not run ahead after an idle gap (playout cannot happen in the past)', () => {
    const p = new PlayoutPacer<number>({ leadMs: 40, maxQueuedMs: 10_000 });
    p.enqueue(1, 20);
    p.pump(0, () => undefined);
    for (let i = 0; i < 5; i++) p.enqueue(i, 20);
    const sent: number[] = [];
    p.pump(10_000, (v) => sent.push(v));
    expect(sent.length).toBe(2);
  });
});
