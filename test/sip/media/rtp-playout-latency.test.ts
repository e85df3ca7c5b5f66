/**
 * Caller → agent delay through an RtpSession, measured on real UDP: a peer
 * socket sends PCMA RTP every 20 ms (frame k tagged in its payload), and the
 * time from send to the session's 'audio' event for that frame is the added
 * delay (jitter buffer + playout tick). The adaptive jitter buffer runs
 * side by side with the fixed 60 ms cushion it replaced, under the same load:
 *  - clean link: adaptive p50 must be ≤ 30 ms;
 *  - ±20 ms injected jitter (each packet 0…40 ms after its slot, so packets
 *    also arrive out of order): delay below the fixed buffer's; gaps (frames
 *    concealed between the first and last frame heard, plus frames never
 *    heard) printed for both. The gap policy itself is asserted without
 *    machine noise in test/media/jitter-buffer-adaptive.test.ts.
 * Figures are printed.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { writeRtpPacket } from '../../../media/rtp-packet.js';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { RtpSession } from '../../../sip/media/rtp-session.js';
import { bindPair, closeSocket, type BoundPair } from '../../../sip/media/udp-pair.js';
import { seededRandom } from '../../support/audio-tools.js';
import { clockTicks } from '../../support/wait.js';

const clock = new MediaClock();
const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c()));
  expect(clock.running).toBe(false);
});

const TAG = 0x2a; // payload bytes 2… of every real frame; concealment and silence never produce a whole run of it

function frameOf(k: number): Uint8Array {
  const p = new Uint8Array(160).fill(TAG);
  p[0] = k & 0xff;
  p[1] = k >> 8;
  return p;
}

function tagOf(f: Uint8Array): number | undefined {
  for (let i = 2; i < 160; i += 13) if (f[i] !== TAG) return undefined;
  return f[0]! | (f[1]! << 8);
}

interface Leg { session: RtpSession; sentAt: Float64Array; heardAt: Float64Array; heard: Array<number | undefined> }

async function leg(n: number, adaptive: boolean): Promise<{ leg: Leg; peer: BoundPair }> {
  const session = new RtpSession({
    bindAddress: '127.0.0.1', codec: 'PCMA', payloadType: 8, remote: { address: '127.0.0.1', port: 9 },
    inactivityTimeoutMs: 60_000, clock, ...(adaptive ? {} : { adaptiveJitter: false, jitterMs: 60 }),
  });
  await session.open();
  const peer = await bindPair({ address: '127.0.0.1', rtcpMux: true });
  open.push(() => session.close(), () => closeSocket(peer.rtp));
  const l: Leg = { session, sentAt: new Float64Array(n).fill(NaN), heardAt: new Float64Array(n).fill(NaN), heard: [] };
  session.on('audio', (f) => {
    const k = tagOf(f);
    l.heard.push(k);
    if (k !== undefined && k < n && Number.isNaN(l.heardAt[k]!)) l.heardAt[k] = performance.now();
  });
  return { leg: l, peer };
}

/**
 * The far end runs in a worker thread (its own event loop, like a real phone),
 * sending frame k to every leg at t0 + 20k + delay(k) on absolute-time
 * timers, and reports when each went out (performance.timeOrigin-based, so
 * comparable with this thread's clock). Also returns this thread's
 * event-loop delay over the run (p50, p99 in ms): on a loaded machine the
 * loop stalls and playout ticks come late for every leg alike.
 */
const PEER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { performance } = require('node:perf_hooks');
const { ports, packets, order } = workerData;
const sock = dgram.createSocket('udp4');
const sentAt = new Float64Array(packets.length);
const origin = performance.timeOrigin;
sock.bind(0, '127.0.0.1', () => {
  const t0 = performance.now() + 20;
  let i = 0;
  const next = () => {
    while (i < order.length && order[i].at + t0 <= performance.now() + 0.5) {
      const k = order[i++].k;
      for (const port of ports) sock.send(packets[k], port, '127.0.0.1');
      sentAt[k] = origin + performance.now();
    }
    if (i < order.length) setTimeout(next, Math.max(0, order[i].at + t0 - performance.now()));
    else setTimeout(() => { parentPort.postMessage(sentAt); sock.close(); }, 50);
  };
  next();
});
`;

async function stream(legs: Array<{ leg: Leg; peer: BoundPair }>, n: number, delay: (k: number) => number): Promise<{ lagP50: number; lagP99: number }> {
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const packets = Array.from({ length: n }, (_, k) => {
    const b = new Uint8Array(172);
    writeRtpPacket(b, { marker: k === 0, payloadType: 8, sequenceNumber: (60_000 + k) & 0xffff, timestamp: (1_000_000 + 160 * k) >>> 0, ssrc: 0xabc }, frameOf(k));
    return b;
  });
  const order = packets.map((_, k) => ({ k, at: 20 * k + delay(k) })).sort((a, b) => a.at - b.at);
  const worker = new Worker(PEER_CODE, { eval: true, workerData: { ports: legs.map((l) => l.leg.session.localPort), packets, order } });
  const sentAt = await new Promise<Float64Array>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  for (const { leg: l } of legs) for (let k = 0; k < n; k++) l.sentAt[k] = sentAt[k]! - performance.timeOrigin;
  // Let playout drain: a jitter buffer holds at most 200 ms (10 frames: the adaptive bound; the fixed
  // one is 60 + 100 ms), and plays one frame per tick of the sessions' clock; one tick more, as a
  // tick's frames pop just after it.
  await clockTicks(clock, 12);
  lag.disable();
  const ms = { lagP50: lag.percentile(50) / 1e6, lagP99: lag.percentile(99) / 1e6 };
  console.log(`event-loop delay during the run: p50 ${ms.lagP50.toFixed(1)} ms, p99 ${ms.lagP99.toFixed(1)} ms`);
  return ms;
}

function delays(l: Leg): number[] {
  const d: number[] = [];
  for (let k = 0; k < l.sentAt.length; k++) if (!Number.isNaN(l.heardAt[k]!)) d.push(l.heardAt[k]! - l.sentAt[k]!);
  return d.sort((a, b) => a - b);
}

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

/**
 * Gaps counted from frame `fromK` on: frames concealed between the first real
 * frame ≥ fromK and the last real frame heard, plus frames ≥ fromK never heard
 * (late packets thrown away, and frames dropped to cut delay after a burst).
 */
function gaps(l: Leg, n: number, fromK: number): number {
  const first = l.heard.findIndex((k) => k !== undefined && k >= fromK);
  let last = l.heard.length - 1;
  while (last > 0 && l.heard[last] === undefined) last--;
  const concealed = first < 0 ? 0 : l.heard.slice(first, last + 1).filter((k) => k === undefined).length;
  let missing = 0;
  for (let k = fromK; k < n; k++) if (Number.isNaN(l.heardAt[k]!)) missing++;
  return concealed + missing;
}

const WARM_UP = 50; // 1 s: the adaptive buffer learns the link (while the agent greets the caller)

function report(name: string, l: Leg, n: number): { p50: number; p95: number; gapsAll: number; gapsAfterWarmUp: number } {
  const d = delays(l);
  const st = l.session.stats.jitterBuffer;
  const r = { p50: q(d, 0.5), p95: q(d, 0.95), gapsAll: gaps(l, n, 0), gapsAfterWarmUp: gaps(l, n, WARM_UP) };
  console.log(`${name}: delay p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${d.at(-1)!.toFixed(1)}; gaps ${r.gapsAll} `
    + `(after the first second ${r.gapsAfterWarmUp}); jb concealed ${st.concealed}, late ${st.late}, recovered ${st.recovered}, `
    + `trimmed ${st.shrunk}, overflow ${st.overflowDropped}, target ${st.targetFrames} frames, jitter ${st.jitterMs.toFixed(1)} ms`);
  return r;
}

/**
 * A run is "quiet" when this thread's event loop never stalled more than
 * QUIET_LAG_MS (p99): only then are delays and gaps about the jitter buffer
 * rather than about the machine (a 100 ms stall queues 5 packets, whatever
 * the buffer). Up to 3 attempts; on a machine too busy for any quiet run only
 * delivery is asserted, and the figures are printed either way. The policy
 * itself is asserted without machine noise in jitter-buffer-adaptive.test.ts.
 */
const QUIET_LAG_MS = 15;
/** Spread (p95 − p50) of the fixed buffer's delay above which loopback was not a clean link in that run. */
const CLEAN_SPREAD_MS = 10;

/** Runs `measure` until a quiet run (at most `attempts`); returns whether one was quiet. */
async function untilQuiet(attempts: number, measure: () => Promise<number>): Promise<boolean> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const lagP99 = await measure();
    if (lagP99 <= QUIET_LAG_MS) return true;
    console.log(`attempt ${attempt}: event loop stalled (p99 ${lagP99.toFixed(1)} ms), delays are the machine's, not judged`);
    await Promise.all(open.splice(0).map((c) => c()));
  }
  return false;
}

describe('RTP playout latency and gaps through RtpSession (real UDP)', () => {
  it('clean link: adaptive buffer adds p50 ≤ 30 ms (fixed 60 ms cushion alongside for comparison)', async () => {
    const n = 150;
    let ra = { p50: NaN }, rf = { p50: NaN, p95: NaN };
    const quiet = await untilQuiet(3, async () => {
      const a = await leg(n, true), f = await leg(n, false);
      const { lagP99 } = await stream([a, f], n, () => 0);
      ra = report('clean, adaptive', a.leg, n);
      rf = report('clean, fixed 60 ms', f.leg, n);
      expect(delays(a.leg).length).toBeGreaterThanOrEqual(n * 0.75); // the audio got through either way
      // The sender runs in another thread: a busy machine can make its packets jitter while this loop
      // stays prompt. The fixed buffer's delay is constant on a clean link, so its spread says whether
      // the link was clean; growing on a jittery one is what the adaptive buffer should do.
      const spread = rf.p95 - rf.p50;
      if (spread > CLEAN_SPREAD_MS) console.log(`fixed-buffer delay spread ${spread.toFixed(1)} ms: not a clean link, not judged`);
      return spread > CLEAN_SPREAD_MS ? Math.max(lagP99, QUIET_LAG_MS + 1) : lagP99;
    });
    if (quiet) {
      expect(ra.p50).toBeLessThanOrEqual(30);
      expect(ra.p50).toBeLessThan(rf.p50);
    }
  });

  it('±20 ms injected jitter: delay below the fixed buffer; gaps printed (policy asserted on a virtual clock)', async () => {
    const n = 400;
    const rnd = seededRandom(7);
    const jitter = Array.from({ length: n }, () => rnd() * 40);
    let ra = { p50: NaN, gapsAfterWarmUp: NaN }, rf = { p50: NaN, gapsAfterWarmUp: NaN };
    const quiet = await untilQuiet(2, async () => {
      const a = await leg(n, true), f = await leg(n, false);
      const { lagP99 } = await stream([a, f], n, (k) => jitter[k]!);
      ra = report('±20 ms jitter, adaptive', a.leg, n);
      rf = report('±20 ms jitter, fixed 60 ms', f.leg, n);
      expect(delays(a.leg).length).toBeGreaterThanOrEqual(n * 0.75);
      return lagP99;
    });
    if (quiet) {
      expect(ra.p50).toBeLessThan(rf.p50);
      // Once it has learnt the link, the adaptive buffer does no worse than the fixed one.
      expect(ra.gapsAfterWarmUp).toBeLessThanOrEqual(rf.gapsAfterWarmUp + 2);
    }
  });
});
