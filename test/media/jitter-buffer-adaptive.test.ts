/**
 * The adaptive jitter buffer against the fixed 60 ms cushion it replaced, on
 * a virtual clock (the buffer is pure: packets are pushed at their arrival
 * times, frames popped on an exact 20 ms tick that is passed to pop, as the
 * RTP session does), so the policy is measured without the scheduling noise
 * of a loaded machine. The real-UDP figures are in
 * test/sip/media/rtp-playout-latency.test.ts; `npx tsx bench/jitter.ts` runs
 * the same kind of simulation through RtpReceiver, per minute of audio.
 *
 * Gaps: frames concealed between the first and the last real frame heard,
 * plus frames never heard (late packets dropped, frames dropped to cut delay).
 */
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../media/jitter-buffer.js';
import { seededRandom } from '../support/audio-tools.js';

const N = 1500; // 30 s

function tagged(k: number): Uint8Array {
  const p = new Uint8Array(160).fill(0x2a);
  p[0] = k & 0xff;
  p[1] = k >> 8;
  return p;
}

interface Run { delays: number[]; gapsAfter: (fromK: number) => number; jb: JitterBuffer }

/** Frame k is sent at 20k and arrives `transit(k)` ms later; pops at 20m + phase. */
function simulate(jb: JitterBuffer, transit: (k: number) => number, phase: number): Run {
  const arrivals = Array.from({ length: N }, (_, k) => ({ k, at: 20 * k + transit(k) })).sort((a, b) => a.at - b.at);
  const heardAt = new Float64Array(N).fill(NaN);
  const heard: Array<number | undefined> = [];
  const out = new Uint8Array(160);
  let i = 0;
  for (let m = 0; m < N + 40; m++) {
    const tick = 20 * m + phase;
    while (i < arrivals.length && arrivals[i]!.at <= tick) {
      const { k, at } = arrivals[i++]!;
      jb.push((50_000 + k) & 0xffff, (7_000_000 + 160 * k) >>> 0, tagged(k), at);
    }
    const r = jb.pop(out, tick);
    if (r === 'idle') continue;
    const k = r === 'audio' && out[5] === 0x2a ? out[0]! | (out[1]! << 8) : undefined;
    heard.push(k);
    if (k !== undefined && Number.isNaN(heardAt[k]!)) heardAt[k] = tick;
  }
  const delays: number[] = [];
  for (let k = 0; k < N; k++) if (!Number.isNaN(heardAt[k]!)) delays.push(heardAt[k]! - (20 * k + transit(k)));
  delays.sort((a, b) => a - b);
  const gapsAfter = (fromK: number): number => {
    const first = heard.findIndex((k) => k !== undefined && k >= fromK);
    let last = heard.length - 1;
    while (last > 0 && heard[last] === undefined) last--;
    let g = heard.slice(first, last + 1).filter((k) => k === undefined).length;
    for (let k = fromK; k < N; k++) if (Number.isNaN(heardAt[k]!)) g++;
    return g;
  };
  return { delays, gapsAfter, jb };
}

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
const adaptive = (): JitterBuffer => new JitterBuffer({ law: 'alaw', delayFrames: 0, maxDelayFrames: 10, adaptive: true });
const fixed = (): JitterBuffer => new JitterBuffer({ law: 'alaw', delayFrames: 3, maxDelayFrames: 8 });

describe('adaptive JitterBuffer vs the fixed 60 ms cushion (virtual clock)', () => {
  it('clean link (±0.5 ms): p50 well under 30 ms; the learning frame is dropped once, 0.5 s in', () => {
    for (const phase of [1, 7, 13, 19.5]) {
      const rnd = seededRandom(phase * 10);
      const transit = (): number => 1 + rnd();
      const a = simulate(adaptive(), transit, phase), f = simulate(fixed(), transit, phase);
      console.log(`clean, tick phase ${phase} ms: adaptive p50 ${q(a.delays, 0.5).toFixed(1)} / p95 ${q(a.delays, 0.95).toFixed(1)} ms, `
        + `fixed p50 ${q(f.delays, 0.5).toFixed(1)} / p95 ${q(f.delays, 0.95).toFixed(1)} ms; gaps ${a.gapsAfter(0)} vs ${f.gapsAfter(0)}`);
      expect(q(a.delays, 0.5)).toBeLessThanOrEqual(30);
      expect(q(a.delays, 0.95)).toBeLessThanOrEqual(30);
      // One frame of cushion while learning the link, dropped at the first shrink decision: that frame is the only gap.
      expect(a.jb.stats).toMatchObject({ shrunk: 1, targetFrames: 0 });
      expect(a.gapsAfter(0)).toBe(1);
      expect(f.gapsAfter(0)).toBe(0);
    }
  });

  it('±20 ms jitter (transit 0…40 ms, reordering): no more gaps than the fixed buffer, first second included', () => {
    const RUNS = 24;
    let totalA = 0, totalF = 0, firstSecondA = 0, firstSecondF = 0;
    const worseRuns: number[] = [], p50s: number[] = [], p95s: number[] = [];
    for (let seed = 1; seed <= RUNS; seed++) {
      const rnd = seededRandom(seed);
      const j = Array.from({ length: N }, () => rnd() * 40);
      const phase = (seed * 7) % 20;
      const a = simulate(adaptive(), (k) => j[k]!, phase), f = simulate(fixed(), (k) => j[k]!, phase);
      const ga = a.gapsAfter(0), gf = f.gapsAfter(0);
      totalA += ga;
      totalF += gf;
      firstSecondA += ga - a.gapsAfter(50);
      firstSecondF += gf - f.gapsAfter(50);
      if (ga > gf) worseRuns.push(seed);
      p50s.push(q(a.delays, 0.5));
      p95s.push(q(a.delays, 0.95));
      console.log(`±20 ms jitter, seed ${seed}: adaptive p50 ${q(a.delays, 0.5).toFixed(1)} / p95 ${q(a.delays, 0.95).toFixed(1)} ms, gaps ${ga} `
        + `(after 1 s ${a.gapsAfter(50)}), target ${a.jb.stats.targetFrames}, jitter ${a.jb.stats.jitterMs.toFixed(1)} ms | fixed p50 ${q(f.delays, 0.5).toFixed(1)} / `
        + `p95 ${q(f.delays, 0.95).toFixed(1)} ms, gaps ${gf} (after 1 s ${f.gapsAfter(50)})`);
      expect(q(a.delays, 0.5)).toBeLessThanOrEqual(q(f.delays, 0.5));
      // Per run: at most one frame more. A start-up gap is not always avoidable: at the first tick one
      // packet says nothing about the link, and when it came early a later one can still be late.
      expect(ga).toBeLessThanOrEqual(gf + 1);
    }
    p50s.sort((x, y) => x - y);
    p95s.sort((x, y) => x - y);
    console.log(`±20 ms jitter, ${RUNS} × 30 s: gaps adaptive ${totalA} (first second ${firstSecondA}), fixed ${totalF} (first second ${firstSecondF}); `
      + `adaptive worse in runs [${worseRuns.join(', ')}]; adaptive p50 median ${q(p50s, 0.5).toFixed(1)} ms, p95 median ${q(p95s, 0.5).toFixed(1)} ms`);
    expect(totalA).toBeLessThanOrEqual(totalF);
    expect(firstSecondA).toBeLessThanOrEqual(firstSecondF);
    expect(worseRuns.length).toBeLessThanOrEqual(RUNS / 8);
    expect(q(p50s, 0.5)).toBeLessThanOrEqual(50); // the fixed buffer's is 60…80 ms
  });

  it('a jitter spike grows the delay at once; a calm link shrinks it back slowly', () => {
    const rnd = seededRandom(5);
    // 10 s clean, 4 s of ±30 ms jitter, then 16 s clean.
    const transit = (k: number): number => (k >= 500 && k < 700 ? rnd() * 60 : 1 + rnd());
    const a = simulate(adaptive(), transit, 5);
    const st = a.jb.stats;
    console.log(`spike then calm: late ${st.late}, recovered ${st.recovered}, concealed ${st.concealed}, shrunk ${st.shrunk}, target now ${st.targetFrames}`);
    expect(st.shrunk).toBeGreaterThan(0);
    expect(st.targetFrames).toBeLessThanOrEqual(1);
  });

  it('a stall of the event loop right after the first packet does not keep playout from starting', () => {
    // Packet 0 is read at 0 ms; then this process stalls 500 ms (no reads, no pops), reads the
    // packets sent meanwhile in one go, and runs on time again. The start then has a "nominal
    // arrival" 480 ms late: waiting for it must end once the buffer is full, or every later frame
    // overflows out of a buffer that never plays.
    const jb = adaptive();
    const out = new Uint8Array(160);
    const STALL = 500;
    const heard: number[] = [];
    let next = 0;
    for (let m = 0; m < 150; m++) {
      const tick = 20 * m + 10;
      if (tick > 5 && tick < STALL) continue; // stalled: no pop
      for (; next < 140 && Math.max(20 * next, next === 0 ? 0 : STALL) <= tick; next++) {
        jb.push((9_000 + next) & 0xffff, (1_000 + 160 * next) >>> 0, tagged(next), Math.max(20 * next, next === 0 ? 0 : STALL));
      }
      if (jb.pop(out, tick) === 'audio' && out[5] === 0x2a) heard.push(out[0]! | (out[1]! << 8));
    }
    const st = jb.stats;
    console.log(`stall of ${STALL} ms after the first packet: heard ${heard.length} of 140 frames (first ${heard[0]}), overflow-dropped ${st.overflowDropped}`);
    // The frames queued by the stall beyond the buffer's 200 ms are dropped once; everything after plays.
    expect(heard.length).toBeGreaterThanOrEqual(140 - STALL / 20 - 1);
    expect(heard.at(-1)).toBe(139);
  });
});
