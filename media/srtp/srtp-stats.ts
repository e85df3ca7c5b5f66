/** Why an incoming SRTP/SRTCP packet was dropped (each is counted, RFC 3711 §3.3). */
export type SrtpDropReason = 'auth-failed' | 'replayed' | 'too-old' | 'malformed';

export interface SrtpStats {
  rtpProtected: number;
  rtpUnprotected: number;
  rtcpProtected: number;
  rtcpUnprotected: number;
  dropped: Record<SrtpDropReason, number>;
}

export function newSrtpStats(): SrtpStats {
  return {
    rtpProtected: 0, rtpUnprotected: 0, rtcpProtected: 0, rtcpUnprotected: 0,
    dropped: { 'auth-failed': 0, replayed: 0, 'too-old': 0, malformed: 0 },
  };
}
