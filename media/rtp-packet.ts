/**
 * RTP fixed header (RFC 3550 §5.1) parse/serialize into caller-owned objects
 * and buffers: the receive and send paths allocate nothing per packet.
 *
 *   0                   1                   2                   3
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *  |            contributing source (CSRC) identifiers (CC×)       |
 *  | [extension: profile(16) | length in 32-bit words(16) | data ] |
 *  | payload ... [padding, last octet = padding count]             |
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

/** Machine-readable reasons a datagram is not a usable RTP packet. */
export type RtpParseError =
  | 'too-short' // < 12 bytes (RFC 3550 §5.1)
  | 'bad-version' // V != 2
  | 'truncated-csrc' // CC × 4 bytes do not fit
  | 'truncated-extension' // X set but the extension header/body does not fit (§5.3.1)
  | 'bad-padding' // P set but the pad count is 0 or eats into the header (§5.1)
  | 'rtcp'; // PT 72–76 under rtcp-mux: an RTCP packet (RFC 5761 §4)

/** Parsed header. Reuse one instance per socket: `parseRtpHeader` overwrites it. */
export interface RtpHeader {
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Payload position in the buffer, after CSRCs and extension. */
  payloadOffset: number;
  /** Payload bytes, padding excluded. */
  payloadLength: number;
}

export function newRtpHeader(): RtpHeader {
  return {
    padding: false, extension: false, csrcCount: 0, marker: false, payloadType: 0,
    sequenceNumber: 0, timestamp: 0, ssrc: 0, payloadOffset: 0, payloadLength: 0,
  };
}

/**
 * RFC 5761 §4: with rtcp-mux, a second octet of 192–223 (RTCP PT 192–223 →
 * RTP M+PT 64–95) is RTCP. Only 200–204 occur in practice.
 */
export function looksLikeRtcp(buf: Uint8Array, length = buf.length): boolean {
  if (length < 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Parse `buf[0, length)` into `out`. Returns null when it is valid RTP, else
 * the reason. CSRC list and header extension are skipped (§5.3.1: length is
 * in 32-bit words, excluding the 4-byte extension header); padding (§5.1) is
 * removed from `payloadLength`.
 */
export function parseRtpHeader(buf: Uint8Array, length: number, out: RtpHeader): RtpParseError | null {
  if (length < RTP_HEADER_BYTES) return 'too-short';
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) return 'bad-version';
  if (looksLikeRtcp(buf, length)) return 'rtcp';
  const b1 = buf[1]!;
  out.padding = (b0 & 0x20) !== 0;
  out.extension = (b0 & 0x10) !== 0;
  out.csrcCount = b0 & 0x0f;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = (buf[2]! << 8) | buf[3]!;
  out.timestamp = u32(buf, 4);
  out.ssrc = u32(buf, 8);
  let offset = RTP_HEADER_BYTES + out.csrcCount * 4;
  if (offset > length) return 'truncated-csrc';
  if (out.extension) {
    if (offset + 4 > length) return 'truncated-extension';
    offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    if (offset > length) return 'truncated-extension';
  }
  let end = length;
  if (out.padding) {
    const pad = buf[length - 1]!;
    if (pad === 0 || end - pad < offset) return 'bad-padding';
    end -= pad;
  }
  out.payloadOffset = offset;
  out.payloadLength = end - offset;
  return null;
}

/** Fields we write: V=2, P=X=CC=0 (this bridge never sends CSRCs or extensions). */
export interface RtpSendHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Write the 12-byte header at `buf[0..12)`; returns 12. */
export function writeRtpHeader(buf: Uint8Array, h: RtpSendHeader): number {
  buf[0] = RTP_VERSION << 6;
  buf[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf[2] = (h.sequenceNumber >>> 8) & 0xff;
  buf[3] = h.sequenceNumber & 0xff;
  writeU32(buf, 4, h.timestamp);
  writeU32(buf, 8, h.ssrc);
  return RTP_HEADER_BYTES;
}

/** Header + payload into `buf`; returns the packet length. */
export function writeRtpPacket(buf: Uint8Array, h: RtpSendHeader, payload: Uint8Array): number {
  writeRtpHeader(buf, h);
  buf.set(payload, RTP_HEADER_BYTES);
  return RTP_HEADER_BYTES + payload.length;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function readU32(b: Uint8Array, o: number): number {
  return u32(b, o);
}

/** Signed distance a−b between 16-bit sequence numbers (RFC 3550 A.1 wrap handling). */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** Signed distance a−b between 32-bit RTP timestamps. */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}
