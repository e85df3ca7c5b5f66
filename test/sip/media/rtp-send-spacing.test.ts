/**
 * RTP send spacing on real UDP: sessions whose FIRST media-clock tick is made
 * 3…12 ms late (the event loop is held busy across it, as a loaded machine
 * does), then packets are timed at a peer socket on loopback. The clock's
 * own tick spacing is recorded alongside: the sender can be no steadier than
 * its ticks, so the tolerance is derived from them — no more back-to-back
 * pairs than the ticks themselves had (sending several right after a stalled
 * tick is the catch-up, not a pair), and spacing p99 within ±5 ms of 20
 * when the ticks were steady.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { newRtpHeader, parseRtpHeader } from '../../../media/rtp-packet.js';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { RtpSession } from '../../../sip/media/rtp-session.js';
import { bindPair, closeSocket } from '../../../sip/media/udp-pair.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c()));
});

const q = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

function spacings(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

async function measure(firstTickLateMs: number, seconds: number): Promise<{ packets: number[]; ticks: number[] }> {
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
  const ticks: number[] = [];
  const s = new RtpSession({ bindAddress: '127.0.0.1', codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: peer.port }, inactivityTimeoutMs: 60_000, clock });
  open.push(() => s.close(), () => closeSocket(peer.rtp));
  await s.open(); // joins the clock: first tick due 20 ms from now
  const tickProbe = (now: number): void => { ticks.push(now); };
  clock.add(tickProbe);
  const busyUntil = performance.now() + 20 + firstTickLateMs;
  while (performance.now() < busyUntil); // hold the loop across the first tick
  await allArrived;
  clock.remove(tickProbe);
  await s.close();
  return { packets, ticks };
}

describe('RTP send spacing on loopback (real UDP)', () => {
  it('first tick 3…12 ms late: packets every 20 ms, no pairs beyond the clock\'s own', async () => {
    for (const late of [3, 6, 9, 12]) {
      const { packets, ticks } = await measure(late, 1.5);
      const ps = spacings(packets).sort((a, b) => a - b);
      const ts = spacings(ticks).sort((a, b) => a - b);
      const dev = (s: number[]): number => Math.max(20 - q(s, 0.01), q(s, 0.99) - 20);
      // Catching up right after a stalled tick (> 30 ms gap) is meant to send several at once: not a pair.
      const stallEnds = ticks.filter((t, i) => i > 0 && t - ticks[i - 1]! > 30);
      const pairs = packets.filter((t, i) => i > 0 && t - packets[i - 1]! < 5 && !stallEnds.some((e) => t - e >= 0 && t - e <= 10)).length;
      const tickPairs = ts.filter((g) => g < 5).length;
      console.log(`first tick +${late} ms: ${packets.length} packets, spacing p50 ${q(ps, 0.5).toFixed(2)} ms, p1 ${q(ps, 0.01).toFixed(2)}, `
        + `p99 ${q(ps, 0.99).toFixed(2)}, pairs ${pairs} (stalls ${stallEnds.length}) | clock ticks p1 ${q(ts, 0.01).toFixed(2)}, p99 ${q(ts, 0.99).toFixed(2)}, pairs ${tickPairs}`);
      expect(Math.abs(q(ps, 0.5) - 20)).toBeLessThan(dev(ts) <= 4 ? 1.5 : 3); // catch-ups after stalls pull the median
      if (dev(ts) <= 4) {
        // Steady ticks (p99 within ±4 ms): the requirement itself.
        expect(pairs).toBe(0);
        expect(dev(ps)).toBeLessThanOrEqual(5);
      } else {
        // A stalling machine: no more pairs than the ticks had plus one catch-up per stall (the old
        // first-tick anchoring sent every other packet as a pair), spacing as steady as the ticks
        // allow: a send is late by at most a tick's lateness, and the peer's receive timestamp (taken in
        // the same stalled thread) by at most another, so twice the ticks' deviation plus 5 ms.
        expect(pairs).toBeLessThanOrEqual(tickPairs + stallEnds.length);
        expect(dev(ps)).toBeLessThanOrEqual(2 * dev(ts) + 5);
      }
    }
  });
});
