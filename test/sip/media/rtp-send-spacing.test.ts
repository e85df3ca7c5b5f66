/**
 * RTP send spacing on real UDP: sessions whose FIRST media-clock tick is made
 * 3…12 ms late (the event loop is held busy across it, as a loaded machine
 * does), then packets are timed at a peer socket on loopback. The claim:
 * packets every 20 ms, p99 within ±5 ms, no back-to-back pairs (the old
 * first-tick anchoring sent every other packet as a pair for the whole call).
 *
 * The sender, and the peer's receive timestamps, run on this process's event
 * loop, so a loop stall moves them by as much as it lasted and nothing the
 * sender does can undo that (a catch-up after a stall even sends several at
 * once, on purpose). The loop's stalls are measured (test/support/wait.ts,
 * 1 ms sampling) and each spacing may deviate from 20 ms by 5 ms plus the
 * stall time inside it and in the two slots before it: a tick run late leaves
 * the send schedule behind, and the catch-up (a second packet once a tick is
 * more than 1.5 slots behind) can come a tick later. A loop that never
 * stalled leaves the claim itself; the deliberate hold across the first tick
 * counts as a stall.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { newRtpHeader, parseRtpHeader } from '../../../media/rtp-packet.js';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { RtpSession } from '../../../sip/media/rtp-session.js';
import { bindPair, closeSocket } from '../../../sip/media/udp-pair.js';
import { eventLoopDelay, stalledWithin, type LoopStall } from '../../support/wait.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c()));
});

/** How far back a stall can still move a spacing (see above): two 20 ms slots. */
const LOOKBACK_MS = 40;

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

function spacings(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

async function measure(firstTickLateMs: number, seconds: number): Promise<{ packets: number[]; stalls: LoopStall[]; stalledMs: number }> {
  const peer = await bindPair({ address: '127.0.0.1', rtcpMux: true });
  const packets: number[] = [];
  const h = newRtpHeader();
  // Until `seconds` of audio have arrived (50 packets a second), however long the machine takes.
  let arrived!: () => void;
  const allArrived = new Promise<void>((r) => (arrived = r));
  peer.rtp.on('message', (m) => {
    if (parseRtpHeader(m, m.length, h) === null && h.payloadType === 0) packets.push(performance.now());
    if (packets.length >= seconds * 50) arrived();
  });
  const clock = new MediaClock();
  const s = new RtpSession({ bindAddress: '127.0.0.1', codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: peer.port }, inactivityTimeoutMs: 60_000, clock });
  open.push(() => s.close(), () => closeSocket(peer.rtp));
  const loop = eventLoopDelay(1);
  await s.open(); // joins the clock: first tick due 20 ms from now
  const busyUntil = performance.now() + 20 + firstTickLateMs;
  while (performance.now() < busyUntil); // hold the loop across the first tick
  await allArrived;
  const { stalls, stalledMs } = loop.stop();
  await s.close();
  return { packets, stalls, stalledMs };
}

describe('RTP send spacing on loopback (real UDP)', () => {
  it('first tick 3…12 ms late: packets every 20 ms (±5 ms beyond the loop\'s measured stalls), no pairs', async () => {
    for (const late of [3, 6, 9, 12]) {
      const { packets, stalls, stalledMs } = await measure(late, 1.5);
      const spacing = spacings(packets);
      // How far each spacing is from 20 ms beyond what the loop's stalls explain.
      const excess = spacing.map((g, i) => Math.max(0, Math.abs(g - 20) - stalledWithin(stalls, packets[i]! - LOOKBACK_MS, packets[i + 1]!))).sort((a, b) => a - b);
      const unexplainedPairs = spacing.filter((g, i) => g < 5 && stalledWithin(stalls, packets[i]! - LOOKBACK_MS, packets[i + 1]!) < 15).length;
      const ps = [...spacing].sort((a, b) => a - b);
      console.log(`first tick +${late} ms: ${packets.length} packets, spacing p50 ${q(ps, 0.5).toFixed(2)} ms, p1 ${q(ps, 0.01).toFixed(2)}, `
        + `p99 ${q(ps, 0.99).toFixed(2)}; loop stalled ${stalledMs.toFixed(0)} ms in ${stalls.length} stalls (hold included); `
        + `beyond the stalls: p50 ${q(excess, 0.5).toFixed(2)}, p99 ${q(excess, 0.99).toFixed(2)} ms, pairs ${unexplainedPairs}`);
      expect(packets.length).toBe(75);
      expect(unexplainedPairs).toBe(0);
      expect(q(excess, 0.99)).toBeLessThanOrEqual(5);
      expect(q(excess, 0.5)).toBeLessThan(1.5);
    }
  });
});
