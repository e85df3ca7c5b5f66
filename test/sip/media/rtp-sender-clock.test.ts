/**
 * The sender's 20 ms slots against tick lateness, on an injected (virtual)
 * clock: ticks come at 20 ms ± the timer jitter of a loaded machine, and the
 * FIRST tick (which used to set the phase of every later slot) or any single
 * later tick is late by 1…12 ms. Packets must leave one per tick: spacing p99
 * within ±5 ms of 20, never two in one tick unless genuinely behind.
 */
import { describe, expect, it } from 'vitest';
import { RtpSender } from '../../../sip/media/rtp-sender.js';
import { SlotClock } from '../../../sip/media/slot-clock.js';
import { seededRandom } from '../../support/audio-tools.js';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Send times of the packets a sender emits for the given tick times. */
function sendTimes(ticks: number[]): number[] {
  const times: number[] = [];
  let now = 0;
  const s = new RtpSender({ law: 'ulaw', payloadType: 0, ssrc: 1 }, () => times.push(now), () => undefined);
  for (const t of ticks) {
    now = t;
    s.tick(t);
  }
  return times;
}

/** Tick times of a drift-corrected 20 ms clock: nominal + lateness (0…maxJitter ms, seeded). */
function ticks(n: number, seed: number, maxJitterMs: number, extra: (k: number) => number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, k) => 1000 + 20 * k + rnd() * maxJitterMs + extra(k));
}

function spacingStats(times: number[]): { p50: number; p01: number; p99: number; pairs: number } {
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  return { p50: quantile(gaps, 0.5), p01: quantile(gaps, 0.01), p99: quantile(gaps, 0.99), pairs: gaps.filter((g) => g < 5).length };
}

describe('RtpSender slot timing (virtual clock)', () => {
  for (const jitter of [0.3, 2]) {
    it(`first tick late by 1…12 ms, ticks jittering ${jitter} ms: one packet per tick, spacing p99 within ±5 ms`, () => {
      for (let late = 1; late <= 12; late++) {
        for (let seed = 1; seed <= 5; seed++) {
          const t = ticks(300, seed * 100 + late, jitter, (k) => (k === 0 ? late : 0));
          const sent = sendTimes(t);
          const st = spacingStats(sent);
          expect(st.pairs, `late ${late} seed ${seed}`).toBe(0);
          expect(sent.length).toBeGreaterThanOrEqual(t.length - 1); // at most the first gap may be skipped
          expect(st.p99 - 20).toBeLessThanOrEqual(5);
          expect(20 - st.p01).toBeLessThanOrEqual(5);
        }
      }
    });
  }

  it('a single tick late by 1…19 ms costs that one packet its timing, never the phase of the rest', () => {
    for (let late = 1; late <= 19; late++) {
      const t = ticks(300, late, 1, (k) => (k === 100 ? late : 0));
      const sent = sendTimes(t);
      expect(sent.length).toBe(t.length);
      const st = spacingStats(sent);
      expect(st.p99 - 20).toBeLessThanOrEqual(5);
      expect(st.pairs, `late ${late}`).toBeLessThanOrEqual(late >= 14 ? 1 : 0); // a tick 14+ ms late (+ jitter) lands within 5 ms of the next
    }
  });

  it('genuinely behind (a 50 ms stall) catches up, a 500 ms stall is skipped', () => {
    const c = new SlotClock(20, 5);
    expect(c.tick(0)).toBe(1);
    expect(c.tick(20)).toBe(1);
    expect(c.tick(90)).toBe(3); // slots at 40, 60, 80: 50 ms behind
    expect(c.tick(100)).toBe(1);
    expect(c.tick(600)).toBe(1);
    expect(c.skipped).toBe(24);
    expect(c.tick(620)).toBe(1);
  });

  it('ticks faster than slots (10 ms) still run one slot per 20 ms', () => {
    const c = new SlotClock(20, 5);
    let runs = 0;
    const rnd = seededRandom(3);
    for (let k = 0; k < 200; k++) runs += c.tick(10 * k + rnd() * 2);
    expect(runs).toBeGreaterThanOrEqual(99);
    expect(runs).toBeLessThanOrEqual(101);
  });
});
