import { createHmac, timingSafeEqual } from 'node:crypto';
import { aesCmXor, deriveSessionKeys, packetIv, type SessionKeys } from './srtp-kdf.js';
import type { SrtpMasterKey } from './srtp-key.js';
import { ReplayWindow } from './replay-window.js';
import { newSrtpStats, type SrtpDropReason, type SrtpStats } from './srtp-stats.js';
import { SRTP_SUITES, type SrtpSuite } from './srtp-suites.js';

/**
 * SRTP/SRTCP for one RTP session (RFC 3711): `protect*` with our master key
 * (what we send), `unprotect*` with the peer's (what we receive). SDES gives
 * one key per direction for every SSRC the sender uses (RFC 4568 §6.1), so
 * per-SSRC state (roll-over counter, highest sequence, replay windows) lives
 * in small maps. Pure: buffers in, buffers out; a bad packet returns the
 * reason, which is counted in `stats`.
 */

const MAX_SSRCS = 16;
const SRTCP_E_BIT = 0x8000_0000;
const SRTCP_INDEX_MASK = 0x7fff_ffff;

interface RecvState { roc: number; highestSeq: number; window: ReplayWindow }
interface SendState { roc: number; lastSeq: number }

export type Unprotected = { ok: true; packet: Buffer } | { ok: false; reason: SrtpDropReason };

/** RTP header length including CSRCs and extension (RFC 3550 §5.1, §5.3.1); -1 if it does not fit. */
export function rtpHeaderLength(p: Uint8Array, length: number): number {
  if (length < 12 || p[0]! >> 6 !== 2) return -1;
  let n = 12 + 4 * (p[0]! & 0x0f);
  if (p[0]! & 0x10) {
    if (n + 4 > length) return -1;
    n += 4 + 4 * ((p[n + 2]! << 8) | p[n + 3]!);
  }
  return n <= length ? n : -1;
}

/**
 * Guess the packet index from the sequence number (RFC 3711 §3.3.1 and
 * Appendix A): the ROC that puts SEQ closest to the highest seen.
 */
export function estimateRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < 0x8000) return seq - highestSeq > 0x8000 ? roc - 1 : roc;
  return highestSeq - 0x8000 > seq ? roc + 1 : roc;
}

function boundedSet<V>(map: Map<number, V>, key: number, value: V): void {
  if (!map.has(key) && map.size >= MAX_SSRCS) map.delete(map.keys().next().value!);
  map.set(key, value);
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly stats: SrtpStats;
  private readonly out: { rtp: SessionKeys; rtcp: SessionKeys };
  private readonly in: { rtp: SessionKeys; rtcp: SessionKeys };
  private readonly sendState = new Map<number, SendState>();
  private readonly recvState = new Map<number, RecvState>();
  private readonly rtcpWindows = new Map<number, ReplayWindow>();
  private rtcpIndex = 0;
  /** Bytes of MKI in the peer's packets, before the tag and outside the authenticated portion (§3.1, §3.4). */
  private readonly remoteMki: number;
  private readonly iv = Buffer.alloc(16);
  private readonly rocBytes = Buffer.alloc(4);

  /** `stats` may be shared with a previous context, so a rekey keeps counting (RFC 4568 §7.1.4). */
  constructor(local: SrtpMasterKey, remote: SrtpMasterKey, stats: SrtpStats = newSrtpStats()) {
    this.stats = stats;
    if (local.suite !== remote.suite) throw new Error('SRTP: both directions must use the same suite');
    this.suite = SRTP_SUITES[local.suite];
    if (local.mkiLength !== 0) throw new Error('SRTP: we send no MKI');
    this.remoteMki = remote.mkiLength;
    this.out = { rtp: deriveSessionKeys(local.key, local.salt, false), rtcp: deriveSessionKeys(local.key, local.salt, true) };
    this.in = { rtp: deriveSessionKeys(remote.key, remote.salt, false), rtcp: deriveSessionKeys(remote.key, remote.salt, true) };
  }

  /** RTP → SRTP: payload encrypted, tag appended (§3.1). Throws only on a non-RTP buffer (our own bug). */
  protectRtp(packet: Uint8Array, length = packet.length): Buffer {
    const header = rtpHeaderLength(packet, length);
    if (header < 0) throw new Error('SRTP protect: not an RTP packet');
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const state = this.sendState.get(ssrc) ?? { roc: 0, lastSeq: seq };
    // The sender's ROC counts wraps of its own sequence numbers (§3.3.1).
    if (seq < state.lastSeq && state.lastSeq - seq > 0x8000) state.roc = (state.roc + 1) >>> 0;
    state.lastSeq = seq;
    boundedSet(this.sendState, ssrc, state);
    const tagBytes = this.suite.rtpTagBytes;
    const out = Buffer.allocUnsafe(length + tagBytes);
    out.set(packet.subarray(0, header), 0);
    const keys = this.out.rtp;
    packetIv(this.iv, keys.salt, ssrc, state.roc * 0x1_0000 + seq);
    out.set(aesCmXor(keys.encryption, this.iv, packet.subarray(header, length)), header);
    this.rtpTag(keys.auth, out.subarray(0, length), state.roc).copy(out, length, 0, tagBytes);
    this.stats.rtpProtected++;
    return out;
  }

  /** SRTP → RTP, or why it was dropped (counted). */
  unprotectRtp(packet: Uint8Array, length = packet.length): Unprotected {
    const tagBytes = this.suite.rtpTagBytes;
    const body = length - tagBytes - this.remoteMki;
    const header = body >= 12 ? rtpHeaderLength(packet, body) : -1;
    if (header < 0) return this.drop('malformed');
    const ssrc = readU32(packet, 8);
    const seq = (packet[2]! << 8) | packet[3]!;
    const known = this.recvState.get(ssrc);
    const roc = known ? estimateRoc(known.roc, known.highestSeq, seq) : 0;
    if (roc < 0) return this.drop('too-old');
    const index = roc * 0x1_0000 + seq;
    const verdict = known ? known.window.check(index) : 'new';
    if (verdict !== 'new') return this.drop(verdict);
    const keys = this.in.rtp;
    const expected = this.rtpTag(keys.auth, packet.subarray(0, body), roc);
    if (!timingSafeEqual(expected.subarray(0, tagBytes), packet.subarray(length - tagBytes, length))) return this.drop('auth-failed');
    const state = known ?? { roc, highestSeq: seq, window: new ReplayWindow() };
    if (!known) boundedSet(this.recvState, ssrc, state);
    if (roc > state.roc || (roc === state.roc && seq > state.highestSeq)) { state.roc = roc; state.highestSeq = seq; }
    state.window.accept(index);
    const out = Buffer.allocUnsafe(body);
    out.set(packet.subarray(0, header), 0);
    packetIv(this.iv, keys.salt, ssrc, index);
    out.set(aesCmXor(keys.encryption, this.iv, packet.subarray(header, body)), header);
    this.stats.rtpUnprotected++;
    return { ok: true, packet: out };
  }

  /** RTCP → SRTCP (§3.4): all after the first 8 bytes encrypted, E||index, 80-bit tag. */
  protectRtcp(packet: Uint8Array, length = packet.length): Buffer {
    if (length < 8) throw new Error('SRTCP protect: not an RTCP packet');
    const index = this.rtcpIndex;
    this.rtcpIndex = (this.rtcpIndex + 1) & SRTCP_INDEX_MASK;
    const keys = this.out.rtcp;
    const tagBytes = this.suite.rtcpTagBytes;
    const out = Buffer.allocUnsafe(length + 4 + tagBytes);
    out.set(packet.subarray(0, 8), 0);
    packetIv(this.iv, keys.salt, readU32(packet, 4), index);
    out.set(aesCmXor(keys.encryption, this.iv, packet.subarray(8, length)), 8);
    out.writeUInt32BE((SRTCP_E_BIT | index) >>> 0, length);
    createHmac('sha1', keys.auth).update(out.subarray(0, length + 4)).digest().copy(out, length + 4, 0, tagBytes);
    this.stats.rtcpProtected++;
    return out;
  }

  unprotectRtcp(packet: Uint8Array, length = packet.length): Unprotected {
    const tagBytes = this.suite.rtcpTagBytes;
    const signed = length - tagBytes - this.remoteMki;
    if (signed < 12 || packet[0]! >> 6 !== 2) return this.drop('malformed');
    const ssrc = readU32(packet, 4);
    const eIndex = readU32(packet, signed - 4);
    const index = eIndex & SRTCP_INDEX_MASK;
    const window = this.rtcpWindows.get(ssrc);
    const verdict = window ? window.check(index) : 'new';
    if (verdict !== 'new') return this.drop(verdict);
    const keys = this.in.rtcp;
    const expected = createHmac('sha1', keys.auth).update(packet.subarray(0, signed)).digest();
    if (!timingSafeEqual(expected.subarray(0, tagBytes), packet.subarray(length - tagBytes, length))) return this.drop('auth-failed');
    const w = window ?? new ReplayWindow();
    if (!window) boundedSet(this.rtcpWindows, ssrc, w);
    w.accept(index);
    const body = signed - 4;
    const out = Buffer.allocUnsafe(body);
    out.set(packet.subarray(0, 8), 0);
    if (eIndex & SRTCP_E_BIT) {
      packetIv(this.iv, keys.salt, ssrc, index);
      out.set(aesCmXor(keys.encryption, this.iv, packet.subarray(8, body)), 8);
    } else {
      out.set(packet.subarray(8, body), 8);
    }
    this.stats.rtcpUnprotected++;
    return { ok: true, packet: out };
  }

  /** HMAC-SHA1 over the authenticated portion || ROC (§4.2). */
  private rtpTag(authKey: Buffer, authenticated: Uint8Array, roc: number): Buffer {
    this.rocBytes.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', authKey).update(authenticated).update(this.rocBytes).digest();
  }

  private drop(reason: SrtpDropReason): Unprotected {
    this.stats.dropped[reason]++;
    return { ok: false, reason };
  }
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
