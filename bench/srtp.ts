/**
 * Micro-benchmark of SRTP per 20 ms G.711 packet (172-byte RTP): protect
 * (AES-128-CM + HMAC-SHA1 tag) and unprotect (index estimate, replay check,
 * tag check, decrypt), both suites, plus SRTCP protect. Median CPU-µs over
 * timed batches after warm-up (same method as bench/rtp.ts).
 *
 *   npx tsx bench/srtp.ts
 */
import { randomBytes } from 'node:crypto';
import { SrtpContext } from '../media/srtp/srtp-context.js';
import { SrtpMasterKey } from '../media/srtp/srtp-key.js';
import type { SrtpSuiteName } from '../media/srtp/srtp-suites.js';

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

function pair(suite: SrtpSuiteName): { tx: SrtpContext; rx: SrtpContext } {
  const a = new SrtpMasterKey(suite, randomBytes(30));
  const b = new SrtpMasterKey(suite, randomBytes(30));
  return { tx: new SrtpContext(a, b), rx: new SrtpContext(b, a) };
}

function packet(seq: number): Buffer {
  const p = Buffer.alloc(172, 0x55);
  p[0] = 0x80; p[1] = 8; p.writeUInt16BE(seq & 0xffff, 2); p.writeUInt32BE((seq * 160) >>> 0, 4); p.writeUInt32BE(1234, 8);
  return p;
}

const rows: Array<Record<string, string | number>> = [];
for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
  const { tx } = pair(suite);
  const plain = packet(0);
  let seq = 0;
  const protectUs = timePer(() => { plain.writeUInt16BE(seq++ & 0xffff, 2); tx.protectRtp(plain); });
  // 60 000 pre-protected packets (under the 2^16 wrap), unprotected in order; a fresh pair when they run out.
  const fresh = (): { rx: SrtpContext; ring: Buffer[] } => {
    const p = pair(suite);
    return { rx: p.rx, ring: Array.from({ length: 60_000 }, (_, i) => p.tx.protectRtp(packet(i))) };
  };
  let cur = fresh();
  const next = fresh();
  let k = 0;
  const unprotectUs = timePer(() => {
    if (k === cur.ring.length) { cur = next; k = 0; }
    const r = cur.rx.unprotectRtp(cur.ring[k++]!);
    if (!r.ok) throw new Error(`unprotect failed: ${r.reason}`);
  });
  const rr = Buffer.from('81c90007' + '00000001' + '000004d2' + '00000000' + '00000000' + '00000000' + '00000000' + '00000000', 'hex');
  const rtcpUs = timePer(() => { tx.protectRtcp(rr); });
  rows.push({ suite, 'protect µs/pkt': protectUs.toFixed(2), 'unprotect µs/pkt': unprotectUs.toFixed(2), 'SRTCP protect µs': rtcpUs.toFixed(2) });
}
console.table(rows);
console.log('Per call (50 pkt/s each way): ≈', ((Number(rows[0]!['protect µs/pkt']) + Number(rows[0]!['unprotect µs/pkt'])) * 50 / 1000).toFixed(3), 'CPU-ms per call-second (SHA1_80)');
