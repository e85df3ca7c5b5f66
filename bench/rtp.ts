/**
 * Micro-benchmark of the RTP hot path, per 20 ms packet, without sockets:
 * in = parse + latch + RTCP stats + jitter buffer push + one pop;
 * out = one send slot (pacer pump + header write into a rotating buffer);
 * plus header parse alone and DTMF receive. Median CPU-µs over timed batches
 * after warm-up (same method as bench/media.ts).
 *
 *   npx tsx bench/rtp.ts
 */
import { newRtpHeader, parseRtpHeader, writeRtpPacket } from '../media/rtp-packet.js';
import { DtmfReceiver, newTelephoneEvent } from '../media/rtp-dtmf.js';
import { RtpReceiver } from '../sip/media/rtp-receiver.js';
import { RtpSender } from '../sip/media/rtp-sender.js';

const BATCHES = 41;
const PER_BATCH = 2000;

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function timePer(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  const results: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = cpuMicros();
    for (let i = 0; i < PER_BATCH; i++) fn();
    results.push((cpuMicros() - t0) / PER_BATCH);
  }
  results.sort((a, b) => a - b);
  return results[results.length >> 1]!;
}

/** 64 pre-built PCMA packets with consecutive seq/ts, replayed with a running offset. */
function inbound(): number {
  const rx = new RtpReceiver({ law: 'alaw', payloadType: 8, telephoneEventPt: 101, jitterMs: 60 }, () => undefined);
  const pkt = new Uint8Array(172);
  const payload = new Uint8Array(160).fill(0x55);
  const out = new Uint8Array(160);
  const hdr = { marker: false, payloadType: 8, sequenceNumber: 0, timestamp: 0, ssrc: 1234 };
  let k = 0;
  return timePer(() => {
    hdr.sequenceNumber = k & 0xffff;
    hdr.timestamp = (k * 160) >>> 0;
    writeRtpPacket(pkt, hdr, payload); // the datagram arriving (the kernel's write, not ours)
    rx.receive(pkt, 172, '127.0.0.1', 5000, k * 20);
    rx.pop(out);
    k++;
  });
}

function outbound(): number {
  let sink = 0;
  const tx = new RtpSender({ law: 'alaw', payloadType: 8, ssrc: 1 }, (b, n) => { sink += b[n - 1]!; }, () => undefined);
  const frame = new Uint8Array(160).fill(0x55);
  let now = 0;
  const us = timePer(() => {
    tx.enqueue(frame);
    now += 20;
    tx.tick(now);
  });
  if (sink < 0) console.log(sink);
  return us;
}

function parseOnly(): number {
  const pkt = new Uint8Array(172);
  writeRtpPacket(pkt, { marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, new Uint8Array(160));
  const h = newRtpHeader();
  return timePer(() => { parseRtpHeader(pkt, 172, h); });
}

function dtmfIn(): number {
  const r = new DtmfReceiver();
  const e = newTelephoneEvent();
  e.duration = 160;
  let ts = 0, k = 0;
  return timePer(() => {
    if (++k % 8 === 0) ts += 1280;
    r.receive(7, ts, k % 8 === 1, e);
  });
}

const rows: Array<[string, number]> = [
  ['rtp in (parse..jitter pop)', inbound()],
  ['rtp out (pacer..header)', outbound()],
  ['parseRtpHeader', parseOnly()],
  ['dtmf receive', dtmfIn()],
];
console.log('median CPU-µs per packet');
for (const [name, us] of rows) console.log(`${name.padEnd(28)} ${us.toFixed(3)}`);
