import { describe, expect, it } from 'vitest';
import { newRtpHeader, parseRtpHeader } from '../../../media/rtp-packet.js';
import { RtpSender, type RtpSenderOptions } from '../../../sip/media/rtp-sender.js';

/** Drive the sender with a virtual clock: deterministic slot logic, no sockets. */
function harness(opts: Partial<RtpSenderOptions> = {}) {
  const packets: Array<{ t: number; marker: boolean; pt: number; seq: number; ts: number; first: number }> = [];
  const played: Array<[string, number]> = [];
  let now = 1000;
  const h = newRtpHeader();
  const s = new RtpSender({ law: 'ulaw', payloadType: 0, telephoneEventPt: 101, ssrc: 42, ...opts }, (b, n) => {
    expect(parseRtpHeader(b, n, h)).toBeNull();
    packets.push({ t: now, marker: h.marker, pt: h.payloadType, seq: h.sequenceNumber, ts: h.timestamp, first: b[h.payloadOffset]! });
  }, (l) => played.push([l, now]));
  const run = (ms: number, step = 20) => { for (const end = now + ms; now < end;) { now += step; s.tick(now); } };
  return { s, packets, played, run, now: () => now };
}

describe('RtpSender (virtual clock)', () => {
  it('sends silence when idle, then queued audio, one packet per 20 ms slot', () => {
    const { s, packets, run } = harness();
    run(100);
    s.enqueue(new Uint8Array(160).fill(7));
    s.enqueue(new Uint8Array(160).fill(8));
    run(100);
    expect(packets.map((p) => p.first)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 7, 8, 0xff, 0xff, 0xff]);
    expect(packets[0]!.marker).toBe(true);
    expect(packets.slice(1).some((p) => p.marker)).toBe(false);
  });

  it('marks fire when the frame before them has played (sent + 20 ms)', () => {
    const { s, played, run, now } = harness();
    run(20);
    s.enqueue(new Uint8Array(160));
    s.mark('a', now());
    s.enqueue(new Uint8Array(160));
    s.mark('b', now());
    run(100);
    // Frames go out at t=1040 and t=1060 (first tick after enqueue); each mark fires 20 ms later.
    expect(played).toEqual([['a', 1060], ['b', 1080]]);
  });

  it('pause mode: no packets when idle, timestamp keeps running, M on resume', () => {
    const { s, packets, run } = harness({ sendSilence: false });
    s.enqueue(new Uint8Array(160).fill(1));
    run(20);
    run(100); // 5 idle slots
    s.enqueue(new Uint8Array(160).fill(2));
    run(20);
    expect(packets.map((p) => [p.first, p.marker])).toEqual([[1, true], [2, true]]);
    expect((packets[1]!.ts - packets[0]!.ts) >>> 0).toBe(160 * 6);
    expect(packets[1]!.seq).toBe((packets[0]!.seq + 1) & 0xffff);
  });

  it('a stall is skipped, not burst: timestamp jumps by the stall, M set', () => {
    const { packets, run } = harness();
    run(40);
    run(500, 500); // one tick after a 500 ms stall
    const last = packets.at(-1)!, before = packets.at(-2)!;
    expect(packets.length).toBeLessThan(2 + 10);
    expect(last.marker).toBe(true);
    expect((last.ts - before.ts) >>> 0).toBeGreaterThanOrEqual(160 * 20);
  });

  it('hold (not sending): slots pass, audio is consumed, marks still fire, nothing on the wire', () => {
    const { s, packets, played, run, now } = harness();
    s.setSending(false);
    s.enqueue(new Uint8Array(160));
    s.mark('x', now());
    run(60);
    expect(packets).toHaveLength(0);
    expect(played.map((p) => p[0])).toEqual(['x']);
    s.setSending(true);
    run(20);
    expect(packets[0]!.marker).toBe(true);
  });

  it('sendDtmf refuses keys when telephone-event was not negotiated, and non-keys', () => {
    expect(harness({ telephoneEventPt: undefined }).s.sendDtmf('1')).toBe(false);
    expect(harness().s.sendDtmf('1x')).toBe(false);
  });

  it('two keys: separate events with a gap; audio timestamp continues across them', () => {
    const { s, packets, run } = harness();
    run(20);
    s.sendDtmf('12', { durationMs: 60 });
    run(400);
    const dtmf = packets.filter((p) => p.pt === 101);
    expect(dtmf).toHaveLength(10); // 2 updates + 3 ends, twice
    const stamps = [...new Set(dtmf.map((p) => p.ts))];
    expect(stamps).toHaveLength(2);
    expect((stamps[1]! - stamps[0]!) >>> 0).toBe(160 * (5 + 3)); // 5 event slots + 3 gap slots
    const audio = packets.filter((p) => p.pt === 0);
    for (let i = 1; i < audio.length; i++) expect(audio[i]!.ts - audio[i - 1]!.ts).toBeGreaterThanOrEqual(160);
  });
});
