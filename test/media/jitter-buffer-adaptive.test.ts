/**
 * The adaptive jitter buffer against the fixed 60 ms cushion it replaced, on
 * a virtual clock (the buffer is pure: packets are pushed at their arrival
 * times, frames popped on an exact 20 ms tick), so the policy is measured
 * without the scheduling noise of a loaded machine. The real-UDP figures are
 * in test/sip/media/rtp-playout-latency.test.ts.
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
    const r = jb.pop(out);
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
  it('clean link (±0.5 ms): one frame of delay, p50 well under 30 ms, no gaps', () => {
    for (const phase of [1, 7, 13, 19.5]) {
      const rnd = seededRandom(phase * 10);
      const transit = (): number => 1 + rnd();
      const a = simulate(adaptive(), transit, phase), f = simulate(fixed(), transit, phase);
      console.log(`clean, tick phase ${phase} ms: adaptive p50 ${q(a.delays, 0.5).toFixed(1)} / p95 ${q(a.delays, 0.95).toFixed(1)} ms, `
        + `fixed p50 ${q(f.delays, 0.5).toFixed(1)} / p95 ${q(f.delays, 0.95).toFixed(1)} ms; gaps ${a.gapsAfter(0)} vs ${f.gapsAfter(0)}`);
      expect(q(a.delays, 0.5)).toBeLessThanOrEqual(30);
      expect(q(a.delays, 0.95)).toBeLessThanOrEqual(40);
      expect(a.gapsAfter(0)).toBeLessThanOrEqual(2);
      expect(a.jb.stats.targetFrames).toBeLessThanOrEqual(1);
    }
  });

  it('±20 ms jitter (transit 0…40 ms, reordering): after the first second no more gaps than the fixed buffer', () => {
    let totalA = 0, totalF = 0, warmA = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const rnd = seededRandom(seed);
      const j = Array.from({ length: N }, () => rnd() * 40);
      const phase = (seed * 7) % 20;
      const a = simulate(adaptive(), (k) => j[k]!, phase), f = simulate(fixed(), (k) => j[k]!, phase);
      const ga = a.gapsAfter(50), gf = f.gapsAfter(50);
      totalA += ga;
      totalF += gf;
      warmA += a.gapsAfter(0) - ga;
      console.log(`±20 ms jitter, seed ${seed}: adaptive p50 ${q(a.delays, 0.5).toFixed(1)} / p95 ${q(a.delays, 0.95).toFixed(1)} ms, gaps ${a.gapsAfter(0)} `
        + `(after 1 s ${ga}), target ${a.jb.stats.targetFrames}, jitter ${a.jb.stats.jitterMs.toFixed(1)} ms | fixed p50 ${q(f.delays, 0.5).toFixed(1)} / `
        + `p95 ${q(f.delays, 0.95).toFixed(1)} ms, gaps ${f.gapsAfter(0)} (after 1 s ${gf})`);
      expect(ga).toBeLessThanOrEqual(gf);
    }
    console.log(`±20 ms jitter, 8 × 30 s: gaps after the first second adaptive ${totalA}, fixed ${totalF}; adaptive gaps while learning (first second) ${warmA}`);
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
});
