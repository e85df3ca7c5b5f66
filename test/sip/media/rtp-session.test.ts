/**
 * RtpSession over real UDP sockets on loopback, against a test peer written
 * here: real speech (espeak-ng) as PCMA/PCMU RTP with reordering, duplicates
 * and 5 % loss, RFC 4733 DTMF with retransmissions, and the session's own
 * RTP/RTCP measured on the wire.
 */
import type { Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { alawToPcm, mulawToPcm, pcmToAlaw, pcmToMulaw } from '../../../media/g711.js';
import { parseRtcp, type RtcpReport } from '../../../media/rtcp.js';
import { writeTelephoneEvent, newTelephoneEvent, parseTelephoneEvent } from '../../../media/rtp-dtmf.js';
import { newRtpHeader, parseRtpHeader, writeRtpPacket, writeRtpHeader } from '../../../media/rtp-packet.js';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { PortAllocator } from '../../../sip/media/port-allocator.js';
import { RtpSession, type RtpSessionOptions } from '../../../sip/media/rtp-session.js';
import { bindPair, closeSocket, type BoundPair } from '../../../sip/media/udp-pair.js';
import { haveAudioTools, seededRandom, speechWav } from '../../support/audio-tools.js';
import { normalizedCrossCorrelation } from '../../support/signal.js';
import { eventLoopDelay, paced, scheduled, waitFor } from '../../support/wait.js';

const clock = new MediaClock();
const ports = new PortAllocator({ min: 41000, max: 41999 });
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
  expect(clock.running).toBe(false); // no timer left behind
  expect(clock.size).toBe(0);
  expect(ports.inUse).toBe(0);
});

interface Received { at: number; pt: number; marker: boolean; seq: number; ts: number; ssrc: number; payload: Uint8Array }

/** The far end: an RTP socket and an RTCP socket (port+1), recording everything that arrives. */
class Peer {
  rtp: Received[] = [];
  rtcp: RtcpReport[] = [];
  private constructor(readonly pair: BoundPair) {
    const h = newRtpHeader();
    pair.rtp.on('message', (m) => {
      if (parseRtpHeader(m, m.length, h) !== null) return;
      this.rtp.push({ at: performance.now(), pt: h.payloadType, marker: h.marker, seq: h.sequenceNumber, ts: h.timestamp, ssrc: h.ssrc,
        payload: m.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength) });
    });
    pair.rtcp!.on('message', (m) => {
      const r = parseRtcp(m, m.length);
      if (typeof r !== 'string') this.rtcp.push(r);
    });
  }

  static async open(): Promise<Peer> {
    const p = new Peer(await bindPair({ address: '127.0.0.1', rtcpMux: false }));
    open.push(p);
    return p;
  }

  get port(): number {
    return this.pair.port;
  }

  send(packet: Uint8Array, to: number): void {
    this.pair.rtp.send(packet, to, '127.0.0.1');
  }

  async close(): Promise<void> {
    await Promise.all([closeSocket(this.pair.rtp), closeSocket(this.pair.rtcp as Socket)]);
  }
}

async function session(opts: Partial<RtpSessionOptions> & Pick<RtpSessionOptions, 'codec' | 'payloadType' | 'remote'>): Promise<RtpSession> {
  const s = new RtpSession({ bindAddress: '127.0.0.1', portAllocator: ports, telephoneEventPt: 101, jitterMs: 60, inactivityTimeoutMs: 10_000, clock, ...opts });
  await s.open();
  open.push(s);
  return s;
}

function frames(codes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + 160 <= codes.length; i += 160) out.push(codes.slice(i, i + 160));
  return out;
}

/** Packets on a 20 ms grid: [slot, bytes]. Audio then DTMF keys, all in one sequence space. */
function peerStream(audio: Uint8Array[], pt: number, keys: string, seed: number): { plan: Array<[number, Uint8Array]>; dropped: number; dups: number } {
  const rnd = seededRandom(seed);
  const ssrc = 0x5eed0000 + seed;
  let seq = 65_400; // wraps during the call
  let ts = 4_294_960_000; // so does the timestamp
  const packets: Uint8Array[] = [];
  const make = (m: boolean, p: number, t: number, payload: Uint8Array): Uint8Array => {
    const b = new Uint8Array(12 + payload.length);
    writeRtpPacket(b, { marker: m, payloadType: p, sequenceNumber: seq, timestamp: t >>> 0, ssrc }, payload);
    seq = (seq + 1) & 0xffff;
    return b;
  };
  audio.forEach((f, i) => { packets.push(make(i === 0, pt, ts, f)); ts += 160; });
  for (const key of keys) {
    const ev = newTelephoneEvent();
    ev.event = '0123456789*#'.indexOf(key);
    ev.volume = 10;
    for (let k = 1; k <= 8; k++) {
      ev.duration = Math.min(k, 5) * 160;
      ev.end = k >= 6;
      const payload = new Uint8Array(4);
      writeTelephoneEvent(payload, 0, ev);
      packets.push(make(k === 1, 101, ts, payload));
    }
    ts += 8 * 160;
    for (let g = 0; g < 5; g++) { packets.push(make(false, pt, ts, new Uint8Array(160).fill(pt === 8 ? 0xd5 : 0xff))); ts += 160; }
  }
  const plan: Array<[number, Uint8Array]> = [];
  let dropped = 0, dups = 0;
  for (let i = 0; i < packets.length; i++) {
    const isAudio = packets[i]![1]! === pt;
    if (isAudio && i > 0 && rnd() < 0.05) { dropped++; continue; }
    let slot = i;
    if (rnd() < 0.05) slot = i + 1; // arrives after its successor: reordered
    plan.push([slot, packets[i]!]);
    if (rnd() < 0.05) { plan.push([slot + 2, packets[i]!]); dups++; } // duplicated 40 ms later
  }
  plan.sort((a, b) => a[0] - b[0]);
  return { plan, dropped, dups };
}

/** Correlation of each voiced `size`-sample segment of `ref` with `heard` at its own best lag (0…maxLag), sorted ascending. */
function segmentCorrelations(ref: Int16Array, heard: Int16Array, size: number, maxLag: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + size <= ref.length; s += size) {
    const seg = ref.subarray(s, s + size);
    if (Math.max(...seg.map(Math.abs)) < 2000) continue; // silence between words says nothing
    out.push(normalizedCrossCorrelation(seg, heard.subarray(s, s + size + maxLag), maxLag).corr);
  }
  return out.sort((a, b) => a - b);
}

/** Sends each packet at its slot on a 20 ms grid from now, as a peer in real time. */
function play(peer: Peer, to: number, plan: Array<[number, Uint8Array]>): Promise<void> {
  return scheduled(plan.map(([slot]) => slot * 20), (i) => peer.send(plan[i]![1], to));
}

describe.skipIf(!haveAudioTools())('RtpSession on loopback', () => {
  for (const codec of ['PCMA', 'PCMU'] as const) {
    it(`${codec} speech in with reordering, duplicates and 5 % loss; DTMF once per key; RTCP RR with the loss`, { timeout: 60_000 }, async () => {
      const pt = codec === 'PCMA' ? 8 : 0;
      const speech = speechWav('Please check the status of my order number four five six.');
      const codes = new Uint8Array(speech.length);
      (codec === 'PCMA' ? pcmToAlaw : pcmToMulaw)(speech, codes);
      const peer = await Peer.open();
      // Wrong SDP port on purpose: the session must latch to where RTP really comes from.
      const jitterMs = 60;
      const s = await session({ codec, payloadType: pt, remote: { address: '127.0.0.1', port: 9 }, rtcpIntervalMs: 400, jitterMs });
      const heard: Uint8Array[] = [];
      const keys: string[] = [];
      s.on('audio', (f) => heard.push(f));
      s.on('dtmf', (k) => keys.push(k));
      const { plan, dropped, dups } = peerStream(frames(codes), pt, '1#9', pt + 1);
      const loop = eventLoopDelay();
      await play(peer, s.localPort, plan);
      // Until the last packet has been played out and reported in an RTCP receiver report.
      const highestSeq = 65_536 + ((65_400 + plan.length - dups + dropped - 1) & 0xffff);
      const reportBlocks = () => peer.rtcp.flatMap((r) => [...r.receiverReports, ...r.senderReports]).flatMap((r) => r.blocks);
      await waitFor(() => keys.length === 3 && reportBlocks().at(-1)?.extendedHighestSeq === highestSeq, { what: 'DTMF and the final RTCP report' });
      const lag = loop.stop().maxMs;

      expect(keys).toEqual(['1', '#', '9']);
      const st = s.stats;
      const jb = st.jitterBuffer;
      // This process sends and receives: when the machine stalls it, packets arrive in a burst and
      // the (bounded) jitter buffer drops or restarts, as it must for a real-time stream. Its own
      // counters say whether that happened; only then are fewer frames expected to come through.
      const stallDamage = jb.overflowDropped + jb.late + jb.resets;
      const why = `loop lag ${lag.toFixed(0)} ms, jb ${JSON.stringify(jb)}`;

      // Whatever the load: frames come out byte-exact and in order, each at most once (reordering
      // and duplicates undone). Checked on the frames whose bytes occur once in the speech.
      const speechFrames = frames(codes).map((f) => Buffer.from(f).toString('hex'));
      const index = new Map<string, number>();
      speechFrames.forEach((f, i) => index.set(f, index.has(f) ? -1 : i));
      const order = heard.map((f) => index.get(Buffer.from(f).toString('hex'))).filter((i): i is number => i !== undefined && i >= 0);
      expect(order.every((v, i) => i === 0 || v > order[i - 1]!), why).toBe(true);
      const sentUnique = new Set(plan.map(([, p]) => index.get(Buffer.from(p.subarray(12)).toString('hex'))).filter((i) => i !== undefined && i >= 0));
      expect(order.length, why).toBeGreaterThanOrEqual(sentUnique.size - stallDamage * (jitterMs / 20 + 1));

      const got = new Uint8Array(heard.length * 160);
      heard.forEach((f, i) => got.set(f, i * 160));
      const pcm = new Int16Array(got.length);
      (codec === 'PCMA' ? alawToPcm : mulawToPcm)(got, pcm);
      const { corr, lag: corrLag } = normalizedCrossCorrelation(speech, pcm.subarray(0, speech.length + 2400), 2400);
      // Judged per 0.5 s of speech, each at its own lag: on a loaded machine a stalled event loop
      // makes the playout skip or insert a frame, which shifts everything after it.
      const segments = segmentCorrelations(speech, pcm, 4000, 2400);
      // Without stall damage most of the speech arrives intact, and the whole utterance keeps one
      // timeline. With it (the buffer dropped or reset after the machine stalled), what arrived is
      // still checked byte for byte above; the waveform figures are printed.
      if (stallDamage === 0) {
        expect(segments[segments.length >> 1]!, why).toBeGreaterThanOrEqual(0.9);
        expect(corr, why).toBeGreaterThanOrEqual(0.9);
      }

      expect(st.latched).toEqual({ address: '127.0.0.1', port: peer.port });
      // A duplicate is counted as such, or as late (or overflow) when it comes after its frame played;
      // one 40 ms behind the end of the stream may come after the buffer let go of it (as before: dups - 2).
      expect(jb.duplicate + jb.late + jb.overflowDropped).toBeGreaterThanOrEqual(dups - 2);
      if (jb.resets === 0) expect(jb.lost).toBe(dropped);
      // Symmetric RTP: our stream reached the peer's real port, not the SDP one.
      expect(peer.rtp.length).toBeGreaterThan(50);
      const blocks = reportBlocks();
      const last = blocks.at(-1)!;
      expect(last.ssrc).toBe(0x5eed0000 + pt + 1);
      // RFC 3550 A.3: duplicates count as received, so cumulative loss = dropped − duplicates.
      expect(last.cumulativeLost).toBe(dropped - dups);
      expect(last.extendedHighestSeq).toBe(highestSeq);
      // Loopback: reordering by one packet adds ~20 ms to a few samples; a stalled sender adds its stall
      // (RFC 3550 A.8 smooths each sample by 1/16, so that is a generous bound).
      expect(last.jitter).toBeLessThan(8 * (15 + lag));
      expect(blocks.some((b) => b.fractionLost > 0)).toBe(true);
      console.log(`${codec}: corr ${corr.toFixed(3)} lag ${corrLag} samples, per 0.5 s ${segments.map((c) => c.toFixed(2)).join(' ')}; loop lag ${lag.toFixed(0)} ms; dropped ${dropped}, dups ${dups}; jb`, st.jitterBuffer, `; RTCP blocks ${blocks.length}, last cumLost ${last.cumulativeLost} jitter ${last.jitter}`);
    });
  }
});

describe('RtpSession outbound', () => {
  it('paced RTP: seq +1, ts +160, constant SSRC, M on first, 20 ms spacing; mark after the audio; DTMF in sequence', async () => {
    const peer = await Peer.open();
    const s = await session({ codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: peer.port } });
    const n = 50;
    const loop = eventLoopDelay();
    const t0 = performance.now();
    const played = new Promise<number>((r) => s.once('played', () => r(performance.now() - t0)));
    for (let i = 0; i < n; i++) s.sendAudio(new Uint8Array(160).fill(i + 1));
    s.mark('end');
    expect(s.unplayedMs()).toBeGreaterThanOrEqual((n - 1) * 20);
    const playedAt = await played;
    expect(s.sendDtmf('5')).toBe(true);
    await waitFor(() => peer.rtp.filter((x) => x.pt === 101).length >= 7, { what: '7 DTMF packets' });
    const lag = loop.stop();

    const p = peer.rtp;
    expect(new Set(p.map((x) => x.ssrc)).size).toBe(1);
    expect(p[0]!.marker).toBe(true);
    // A stall of the machine longer than the sender's catch-up is skipped, not burst: the timestamp
    // jumps by the skipped time and M marks the gap (RFC 3550 §5.1). Its own counter says if it did.
    const skipped = s.stats.sent.skippedSlots;
    const gapMarkers = p.slice(1).filter((x) => x.pt === 0 && x.marker).length;
    if (skipped === 0) expect(gapMarkers).toBe(0);
    else expect(gapMarkers).toBeGreaterThan(0);
    for (let i = 1; i < p.length; i++) expect(p[i]!.seq).toBe((p[i - 1]!.seq + 1) & 0xffff);
    const audio = p.filter((x) => x.pt === 0);
    let skippedTs = 0;
    for (let i = 1; i < audio.length; i++) {
      const slots = p.indexOf(audio[i]!) - p.indexOf(audio[i - 1]!);
      const step = (audio[i]!.ts - audio[i - 1]!.ts) >>> 0;
      if (audio[i]!.marker) skippedTs += step - 160 * slots;
      else expect(step).toBe(160 * slots);
    }
    expect(skippedTs).toBe(160 * skipped);
    // The frames went out in order, none lost, none repeated.
    const sent = audio.map((x) => x.payload[0]!).filter((b) => b !== 0xff);
    expect(sent).toEqual([...Array(n).keys()].map((i) => i + 1));
    const gaps = p.slice(1).map((x, i) => x.at - p[i]!.at).sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1]!;
    // 20 ms apart, give or take the typical lateness of this loop's timers (sender and receiver).
    expect(median).toBeGreaterThan(18 - lag.p50Ms);
    expect(median).toBeLessThan(22 + lag.p50Ms);
    // The mark fires when the last frame has played: not before (but for the sender's 5 ms lead),
    // and late by no more than the slots a stall made the sender skip (frames are not dropped, they
    // go out that much later), the worst timer lateness and one tick.
    expect(playedAt).toBeGreaterThanOrEqual(n * 20 - 25);
    expect(playedAt).toBeLessThan(n * 20 + 20 * skipped + lag.maxMs + 40);
    // RFC 4733 out: same timestamp, M on the first, E on the last three.
    const dtmf = p.filter((x) => x.pt === 101);
    const ev = newTelephoneEvent();
    const evs = dtmf.map((x) => (parseTelephoneEvent(x.payload, 0, 4, ev), { ...ev }));
    expect(new Set(dtmf.map((x) => x.ts)).size).toBe(1);
    expect(dtmf.map((x) => x.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(evs.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(evs.every((e) => e.event === 5)).toBe(true);
    console.log(`outbound: median spacing ${median.toFixed(2)} ms, p10 ${gaps[Math.floor(gaps.length * 0.1)]!.toFixed(2)}, p90 ${gaps[Math.floor(gaps.length * 0.9)]!.toFixed(2)}; mark after ${playedAt.toFixed(0)} ms for ${n * 20} ms of audio`);
  });

  it('clear drops queued audio and its marks', async () => {
    const peer = await Peer.open();
    const s = await session({ codec: 'PCMA', payloadType: 8, remote: { address: '127.0.0.1', port: peer.port } });
    const played: string[] = [];
    s.on('played', (l) => played.push(l));
    for (let i = 0; i < 100; i++) s.sendAudio(new Uint8Array(160).fill(1));
    s.mark('never');
    const t0 = performance.now();
    // Let part of the queue go out (5 frames at the peer): the clear must cut mid-playout.
    await waitFor(() => peer.rtp.filter((x) => x.payload[0] === 1).length >= 5, { what: '5 frames out' });
    const elapsed = performance.now() - t0;
    const dropped = s.clear();
    // Everything not yet sent is dropped: at one frame per 20 ms, the sender cannot have sent more.
    expect(dropped).toBeGreaterThanOrEqual(100 - Math.ceil(elapsed / 20) - 1);
    // Only the frame already sent is left; the sender may send a slot up to its 5 ms lead early (rtp-sender.ts).
    expect(s.unplayedMs()).toBeLessThanOrEqual(20 + 5);
    s.mark('after');
    await waitFor(() => played.length > 0, { what: "mark 'after' played" });
    expect(played).toEqual(['after']);
    const audio = peer.rtp.filter((x) => x.payload[0] === 1).length;
    expect(audio).toBe(100 - dropped);
  });

  it('inactivity timeout fires when no RTP arrives', async () => {
    const s = await session({ codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: 9 }, inactivityTimeoutMs: 300 });
    const t0 = performance.now();
    // A plain 300 ms timer alongside measures how late this machine runs timers right now.
    const probe = new Promise<number>((r) => setTimeout(() => r(performance.now() - t0), 300));
    const at = await new Promise<number>((r) => s.once('timeout', () => r(performance.now() - t0)));
    expect(at).toBeGreaterThanOrEqual(290);
    expect(at).toBeLessThan(Math.max(400, (await probe) + 40)); // within two 20 ms ticks of the timer
  });

  it('does not relatch to an injected source while the real peer keeps sending', async () => {
    const peer = await Peer.open();
    const intruder = await Peer.open();
    const s = await session({ codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: peer.port } });
    const pkt = (ssrc: number, seq: number): Uint8Array => {
      const b = new Uint8Array(172);
      writeRtpHeader(b, { marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc });
      return b;
    };
    await paced(20, 20, (i) => {
      peer.send(pkt(1, i), s.localPort);
      intruder.send(pkt(2, 1000 + i), s.localPort);
    });
    await waitFor(() => s.stats.received.packets >= 40, { what: 'all 40 packets received' });
    expect(s.stats.latched?.port).toBe(peer.port);
    expect(s.stats.received.wrongSource).toBe(20);
    // The peer goes quiet (NAT rebinding): the new source takes over after 5 in-sequence packets once
    // the latched one has been quiet for the latch's quietMs (200 ms by default), counted from when the
    // session had read the peer's last packet (a negative wait: longer only makes the quiet longer).
    const quietFrom = performance.now();
    await waitFor(() => performance.now() - quietFrom > 200, { everyMs: 10, what: "the latch's 200 ms of quiet" });
    for (let i = 0; i < 6; i++) intruder.send(pkt(2, 2000 + i), s.localPort);
    await waitFor(() => s.stats.latched?.port === intruder.port, { what: 'relatch to the new source' });
  });
});
