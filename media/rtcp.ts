/**
 * RTCP (RFC 3550 §6): build compound SR/RR + SDES CNAME (+ BYE) packets into a
 * caller buffer, and parse incoming compounds far enough to read sender
 * reports (for LSR/DLSR), report blocks about us, and BYE.
 */
import { readU32, writeU32 } from './rtp-packet.js';
import type { ReportBlockData } from './rtp-receive-stats.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
const SDES_CNAME = 1;

/** A report block as sent (§6.4.1): reception data plus LSR/DLSR. */
export interface ReportBlock extends ReportBlockData {
  /** Middle 32 bits of the NTP timestamp of the last SR from that source (0 if none). */
  lastSr: number;
  /** Delay since that SR in 1/65536 s (0 if none). */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpParseError = 'too-short' | 'bad-version' | 'bad-length' | 'not-sr-or-rr-first';

export interface RtcpReport {
  senderReports: Array<{ ssrc: number; info: SenderInfo; blocks: ReportBlock[] }>;
  receiverReports: Array<{ ssrc: number; blocks: ReportBlock[] }>;
  byes: number[];
}

/** NTP timestamp (§4) of a Unix time in ms. */
export function ntpFromUnixMs(unixMs: number): { seconds: number; fraction: number } {
  const secs = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - secs * 1000) / 1000) * 2 ** 32);
  return { seconds: (secs + 2_208_988_800) >>> 0, fraction: fraction >>> 0 };
}

/** Middle 32 bits of an NTP timestamp: the LSR field (§6.4.1). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

function header(buf: Uint8Array, o: number, count: number, pt: number, words: number): void {
  buf[o] = 0x80 | (count & 0x1f);
  buf[o + 1] = pt;
  buf[o + 2] = ((words - 1) >> 8) & 0xff;
  buf[o + 3] = (words - 1) & 0xff;
}

function writeBlock(buf: Uint8Array, o: number, b: ReportBlock): number {
  writeU32(buf, o, b.ssrc);
  writeU32(buf, o + 4, ((b.fractionLost & 0xff) << 24) | (b.cumulativeLost & 0xffffff));
  writeU32(buf, o + 8, b.extendedHighestSeq);
  writeU32(buf, o + 12, b.jitter);
  writeU32(buf, o + 16, b.lastSr);
  writeU32(buf, o + 20, b.delaySinceLastSr);
  return o + 24;
}

/** RR (§6.4.2) at `o`; returns the offset after it. */
export function writeReceiverReport(buf: Uint8Array, o: number, ssrc: number, blocks: readonly ReportBlock[]): number {
  header(buf, o, blocks.length, RTCP_RR, 2 + blocks.length * 6);
  writeU32(buf, o + 4, ssrc);
  let p = o + 8;
  for (const b of blocks) p = writeBlock(buf, p, b);
  return p;
}

/** SR (§6.4.1) at `o`; returns the offset after it. */
export function writeSenderReport(buf: Uint8Array, o: number, ssrc: number, info: SenderInfo, blocks: readonly ReportBlock[]): number {
  header(buf, o, blocks.length, RTCP_SR, 7 + blocks.length * 6);
  writeU32(buf, o + 4, ssrc);
  writeU32(buf, o + 8, info.ntpSeconds);
  writeU32(buf, o + 12, info.ntpFraction);
  writeU32(buf, o + 16, info.rtpTimestamp);
  writeU32(buf, o + 20, info.packetCount);
  writeU32(buf, o + 24, info.octetCount);
  let p = o + 28;
  for (const b of blocks) p = writeBlock(buf, p, b);
  return p;
}

/** SDES (§6.5) with one chunk: CNAME item, end item, padding to 32 bits. */
export function writeSdesCname(buf: Uint8Array, o: number, ssrc: number, cname: string): number {
  const text = new TextEncoder().encode(cname).subarray(0, 255);
  const chunkBytes = 4 + 2 + text.length + 1; // SSRC, type+len, text, END
  const padded = (chunkBytes + 3) & ~3;
  header(buf, o, 1, RTCP_SDES, 1 + padded / 4);
  writeU32(buf, o + 4, ssrc);
  buf[o + 8] = SDES_CNAME;
  buf[o + 9] = text.length;
  buf.set(text, o + 10);
  buf.fill(0, o + 10 + text.length, o + 4 + padded);
  return o + 4 + padded;
}

/** BYE (§6.6) for one SSRC. */
export function writeBye(buf: Uint8Array, o: number, ssrc: number): number {
  header(buf, o, 1, RTCP_BYE, 2);
  writeU32(buf, o + 4, ssrc);
  return o + 8;
}

function readBlocks(buf: Uint8Array, o: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    const w = readU32(buf, o + 4);
    blocks.push({
      ssrc: readU32(buf, o), fractionLost: w >>> 24, cumulativeLost: ((w & 0xffffff) << 8) >> 8,
      extendedHighestSeq: readU32(buf, o + 8), jitter: readU32(buf, o + 12),
      lastSr: readU32(buf, o + 16), delaySinceLastSr: readU32(buf, o + 20),
    });
  }
  return blocks;
}

/**
 * Parse a compound packet (§6.1; validity checks of A.2: version 2, first
 * packet SR or RR, lengths add up). Unknown packet types are skipped.
 */
export function parseRtcp(buf: Uint8Array, length: number): RtcpReport | RtcpParseError {
  if (length < 8) return 'too-short';
  if (buf[1] !== RTCP_SR && buf[1] !== RTCP_RR) return 'not-sr-or-rr-first';
  const report: RtcpReport = { senderReports: [], receiverReports: [], byes: [] };
  for (let o = 0; o < length;) {
    if (o + 4 > length) return 'bad-length';
    if (buf[o]! >> 6 !== 2) return 'bad-version';
    const count = buf[o]! & 0x1f, pt = buf[o + 1]!;
    const end = o + (((buf[o + 2]! << 8) | buf[o + 3]!) + 1) * 4;
    if (end > length) return 'bad-length';
    const err = parseOne(buf, o, end, count, pt, report);
    if (err) return err;
    o = end;
  }
  return report;
}

function parseOne(buf: Uint8Array, o: number, end: number, count: number, pt: number, r: RtcpReport): RtcpParseError | null {
  if (pt === RTCP_SR) {
    if (o + 28 + count * 24 > end) return 'bad-length';
    const info: SenderInfo = {
      ntpSeconds: readU32(buf, o + 8), ntpFraction: readU32(buf, o + 12), rtpTimestamp: readU32(buf, o + 16),
      packetCount: readU32(buf, o + 20), octetCount: readU32(buf, o + 24),
    };
    r.senderReports.push({ ssrc: readU32(buf, o + 4), info, blocks: readBlocks(buf, o + 28, count) });
  } else if (pt === RTCP_RR) {
    if (o + 8 + count * 24 > end) return 'bad-length';
    r.receiverReports.push({ ssrc: readU32(buf, o + 4), blocks: readBlocks(buf, o + 8, count) });
  } else if (pt === RTCP_BYE) {
    if (o + 4 + count * 4 > end) return 'bad-length';
    for (let i = 0; i < count; i++) r.byes.push(readU32(buf, o + 4 + i * 4));
  }
  return null;
}
