/**
 * Playout delay and gaps of the RTP receive path's jitter buffer, adaptive
 * against the fixed 60 ms cushion it replaced, on a VIRTUAL clock: the real
 * RtpReceiver (header parse, latch, RTCP stats, jitter buffer) gets real PCMA
 * datagrams at simulated arrival times and is popped on an exact 20 ms tick
 * (a random phase per call) with the tick's time, as RtpSession does. No
 * sockets and no timers, so the figures are the policy's, not the machine's
 * (the real-UDP figures: test/sip/media/rtp-playout-latency.test.ts).
 *
 * Links: clean (transit 0.5…1.5 ms), ±20 ms (each packet 0…40 ms after its
 * slot, uniform: packets also arrive out of order), ±20 ms + 1 % loss.
 * Per link and buffer, RUNS seeded calls of SECONDS each:
 *  - added delay: pop tick − arrival of each frame heard, p50 / p95 over all
 *    frames of all calls, and the worst call's p50;
 *  - gaps per minute: frames concealed between the first and the last real
 *    frame heard, plus frames never heard (late packets dropped, frames
 *    dropped to cut delay); lost packets' own frames are not counted as never
 *    heard, but their concealment is (both buffers pay it; its rate is shown);
 *  - start-up gaps: those within the first second of a call, per call.
 *
 *   npx tsx bench/jitter.ts [--runs 20] [--seconds 60]
 *   npm run bench -- --jitter
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeRtpPacket } from '../media/rtp-packet.js';
import { RtpReceiver } from '../sip/media/rtp-receiver.js';
import { seededRandom } from '../tools/reference-agent/chunks.js';

const TAG = 0x2a; // payload bytes 2… of every real frame; concealment never produces a whole frame of it
const FIRST_SECOND = 50; // frames

interface Link { name: string; transit: (rnd: () => number) => number; loss: number }

const LINKS: Link[] = [
  { name: 'clean (0.5-1.5 ms)', transit: (rnd) => 0.5 + rnd(), loss: 0 },
  { name: '±20 ms uniform', transit: (rnd) => rnd() * 40, loss: 0 },
  { name: '±20 ms + 1 % loss', transit: (rnd) => rnd() * 40, loss: 0.01 },
];

const BUFFERS = {
  adaptive: (): RtpReceiver => new RtpReceiver({ law: 'alaw', payloadType: 8 }, () => undefined),
  'fixed 60 ms': (): RtpReceiver => new RtpReceiver({ law: 'alaw', payloadType: 8, adaptiveJitter: false, jitterMs: 60 }, () => undefined),
};

interface Call { delays: number[]; gaps: number; startGaps: number; lost: number }

/** One call: frame k is sent at 20k ms and arrives transit(k) later, unless lost. */
function call(make: () => RtpReceiver, link: Link, seed: number, frames: number): Call {
  const rnd = seededRandom(seed);
  const phase = rnd() * 20;
  const arrivals: Array<{ k: number; at: number }> = [];
  const lostSet = new Set<number>();
  for (let k = 0; k < frames; k++) {
    const at = 20 * k + link.transit(rnd);
    if (rnd() < link.loss) lostSet.add(k);
    else arrivals.push({ k, at });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const rx = make();
  const pkt = new Uint8Array(172);
  const payload = new Uint8Array(160).fill(TAG);
  const out = new Uint8Array(160);
  const arrivedAt = new Float64Array(frames).fill(NaN);
  const heardAt = new Float64Array(frames).fill(NaN);
  const heard: Array<number | undefined> = [];
  let i = 0;
  for (let m = 0; m < frames + 50; m++) {
    const tick = 20 * m + phase;
    for (; i < arrivals.length && arrivals[i]!.at <= tick; i++) {
      const { k, at } = arrivals[i]!;
      payload[0] = k & 0xff;
      payload[1] = k >> 8;
      const hdr = { marker: k === 0, payloadType: 8, sequenceNumber: (40_000 + k) & 0xffff, timestamp: (123_456 + 160 * k) >>> 0, ssrc: 0x5eed };
      writeRtpPacket(pkt, hdr, payload);
      rx.receive(pkt, pkt.length, '127.0.0.1', 40_000, at);
      arrivedAt[k] = at;
    }
    const r = rx.pop(out, tick);
    if (r === 'idle') continue;
    const k = r === 'audio' && out[2] === TAG && out[159] === TAG ? out[0]! | (out[1]! << 8) : undefined;
    heard.push(k);
    if (k !== undefined && Number.isNaN(heardAt[k]!)) heardAt[k] = tick;
  }
  const delays: number[] = [];
  for (let k = 0; k < frames; k++) if (!Number.isNaN(heardAt[k]!)) delays.push(heardAt[k]! - arrivedAt[k]!);
  const gapsFrom = (from: number, to: number): number => {
    const first = heard.findIndex((k) => k !== undefined && k >= from);
    let last = heard.length - 1;
    while (last > 0 && (heard[last] === undefined || heard[last]! >= to)) last--;
    let g = first < 0 ? 0 : heard.slice(first, last + 1).filter((k) => k === undefined).length;
    for (let k = from; k < to; k++) if (Number.isNaN(heardAt[k]!) && !lostSet.has(k)) g++;
    return g;
  };
  return { delays, gaps: gapsFrom(0, frames), startGaps: gapsFrom(0, FIRST_SECOND), lost: lostSet.size };
}

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

export interface JitterBenchRow {
  link: string; buffer: string; p50: number; p95: number; worstCallP50: number;
  gapsPerMin: number; startGapsPerCall: number; lostPerMin: number; callsWorseThanFixed?: number;
}

export function runJitterBench(runs = 20, seconds = 60): JitterBenchRow[] {
  const frames = seconds * 50;
  const minutes = (runs * seconds) / 60;
  const rows: JitterBenchRow[] = [];
  for (const link of LINKS) {
    const perCallGaps: Record<string, number[]> = {};
    for (const [buffer, make] of Object.entries(BUFFERS)) {
      const all: number[] = [], callP50: number[] = [];
      let gaps = 0, startGaps = 0, lost = 0;
      perCallGaps[buffer] = [];
      for (let run = 1; run <= runs; run++) {
        const c = call(make, link, run * 7919, frames);
        c.delays.sort((a, b) => a - b);
        all.push(...c.delays);
        callP50.push(q(c.delays, 0.5));
        gaps += c.gaps;
        startGaps += c.startGaps;
        lost += c.lost;
        perCallGaps[buffer]!.push(c.gaps);
      }
      all.sort((a, b) => a - b);
      rows.push({
        link: link.name, buffer, p50: q(all, 0.5), p95: q(all, 0.95), worstCallP50: Math.max(...callP50),
        gapsPerMin: gaps / minutes, startGapsPerCall: startGaps / runs, lostPerMin: lost / minutes,
      });
    }
    const a = perCallGaps.adaptive!, f = perCallGaps['fixed 60 ms']!;
    rows.at(-2)!.callsWorseThanFixed = a.filter((g, i) => g > f[i]!).length;
  }
  return rows;
}

export function printJitterBench(rows: JitterBenchRow[], runs: number, seconds: number): void {
  console.log(`jitter buffer, virtual clock: ${runs} calls × ${seconds} s per link (seeded), 20 ms PCMA through RtpReceiver`);
  console.log('link                 buffer        delay p50   p95  worst-call p50 | gaps/min  start-up gaps/call  (lost pkts/min)  calls with more gaps than fixed');
  for (const r of rows) {
    console.log(`${r.link.padEnd(20)} ${r.buffer.padEnd(12)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(6)} ${r.worstCallP50.toFixed(1).padStart(10)}     | `
      + `${r.gapsPerMin.toFixed(2).padStart(7)} ${r.startGapsPerCall.toFixed(2).padStart(12)} ${('(' + r.lostPerMin.toFixed(1) + ')').padStart(16)}`
      + `${r.callsWorseThanFixed === undefined ? '' : String(r.callsWorseThanFixed).padStart(14) + ` of ${runs}`}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: v } = parseArgs({ options: { runs: { type: 'string', default: '20' }, seconds: { type: 'string', default: '60' } } });
  const runs = Number(v.runs), seconds = Number(v.seconds);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seconds) || seconds < 2) throw new Error('--runs ≥ 1 and --seconds ≥ 2, integers');
  printJitterBench(runJitterBench(runs, seconds), runs, seconds);
}
