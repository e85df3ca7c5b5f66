/**
 * SRTP crypto suites we speak (RFC 4568 §6.2): both use AES-128 in counter
 * mode with a 112-bit salt and HMAC-SHA1; they differ only in the SRTP
 * authentication tag. SRTCP always carries the 80-bit tag (RFC 4568 §6.2.2;
 * libsrtp and ffmpeg do the same).
 */

export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export interface SrtpSuite {
  name: SrtpSuiteName;
  /** Master key bytes (RFC 3711 §8.2: 128-bit). */
  keyBytes: 16;
  /** Master salt bytes (112-bit). */
  saltBytes: 14;
  /** SRTP authentication tag bytes. */
  rtpTagBytes: number;
  /** SRTCP authentication tag bytes. */
  rtcpTagBytes: 10;
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', keyBytes: 16, saltBytes: 14, rtpTagBytes: 10, rtcpTagBytes: 10 },
  AES_CM_128_HMAC_SHA1_32: { name: 'AES_CM_128_HMAC_SHA1_32', keyBytes: 16, saltBytes: 14, rtpTagBytes: 4, rtcpTagBytes: 10 },
};

/** Our preference when the peer offers several (stronger tag first). */
export const SUITE_PREFERENCE: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

export function isSuiteName(name: string): name is SrtpSuiteName {
  return Object.hasOwn(SRTP_SUITES, name);
}
