import { SrtpContext } from '../../media/srtp/srtp-context.js';
import type { SrtpDropReason, SrtpStats } from '../../media/srtp/srtp-stats.js';
import type { NegotiatedSrtp } from './sdes.js';

/**
 * The stage between an RTP session's sockets and its RTP/RTCP code: identity
 * for plain RTP, SRTP/SRTCP (RFC 3711) for a SAVP stream. `unprotect*`
 * returning undefined means "drop": the reason was counted and reported.
 */
export interface PacketTransform {
  readonly name: string;
  protectRtp(packet: Uint8Array, length: number): Uint8Array;
  unprotectRtp(packet: Uint8Array, length: number): Uint8Array | undefined;
  protectRtcp(packet: Uint8Array, length: number): Uint8Array;
  unprotectRtcp(packet: Uint8Array, length: number): Uint8Array | undefined;
  readonly stats?: SrtpStats;
  /** New SRTP keys after a re-INVITE changed them; counters carry on. */
  rekey?(srtp: NegotiatedSrtp): void;
}

export type SrtpDropListener = (reason: SrtpDropReason, kind: 'rtp' | 'rtcp') => void;

/** SRTP with the keys an SDES exchange agreed. */
export function srtpTransform(srtp: NegotiatedSrtp, onDrop?: SrtpDropListener): PacketTransform {
  let ctx = new SrtpContext(srtp.localKey, srtp.remoteKey);
  const unwrap = (kind: 'rtp' | 'rtcp', r: ReturnType<SrtpContext['unprotectRtp']>): Uint8Array | undefined => {
    if (r.ok) return r.packet;
    onDrop?.(r.reason, kind);
    return undefined;
  };
  return {
    name: `SRTP(${srtp.suite})`,
    protectRtp: (p, n) => ctx.protectRtp(p, n),
    unprotectRtp: (p, n) => unwrap('rtp', ctx.unprotectRtp(p, n)),
    protectRtcp: (p, n) => ctx.protectRtcp(p, n),
    unprotectRtcp: (p, n) => unwrap('rtcp', ctx.unprotectRtcp(p, n)),
    stats: ctx.stats,
    rekey: (next) => { ctx = new SrtpContext(next.localKey, next.remoteKey, ctx.stats); },
  };
}
