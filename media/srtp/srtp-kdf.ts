import { createCipheriv } from 'node:crypto';

/**
 * SRTP key derivation (RFC 3711 §4.3) and the AES counter-mode keystream
 * (§4.1.1), on node:crypto's AES-128-CTR. Pure: bytes in, bytes out.
 *
 * We only run with key_derivation_rate 0 (the SDES default, RFC 4568 §6.1:
 * "KDR ... defaults to 0"), so r = 0 and every session key is derived once.
 */

/** Key derivation labels (RFC 3711 §4.3.1, §4.3.2). */
export const LABEL = {
  rtpEncryption: 0x00, rtpAuth: 0x01, rtpSalt: 0x02,
  rtcpEncryption: 0x03, rtcpAuth: 0x04, rtcpSalt: 0x05,
} as const;

/** `length` bytes of AES-CM keystream for a 128-bit IV (RFC 3711 §4.1.1: the block counter is the low 16 bits). */
export function aesCmKeystream(key: Uint8Array, iv: Uint8Array, length: number): Buffer {
  return aesCmXor(key, iv, Buffer.alloc(length));
}

/** Encrypt = decrypt: XOR `data` with the keystream. Returns a new buffer. */
export function aesCmXor(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return cipher.update(data);
}

/**
 * One session key (RFC 3711 §4.3.1): x = (label || r) XOR master_salt, with
 * r = 0 for KDR 0; the 56-bit key_id sits in the salt's last 7 bytes, so
 * only byte 7 (the label) changes. The output is AES-CM(master_key, x·2^16).
 */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Buffer {
  if (masterSalt.length !== 14) throw new RangeError('SRTP master salt must be 14 bytes');
  const iv = Buffer.alloc(16);
  iv.set(masterSalt, 0);
  iv[7] = iv[7]! ^ label;
  return aesCmKeystream(masterKey, iv, length);
}

export interface SessionKeys {
  encryption: Buffer;
  auth: Buffer;
  salt: Buffer;
}

/** The three keys of one direction, for SRTP or SRTCP (different labels). */
export function deriveSessionKeys(masterKey: Uint8Array, masterSalt: Uint8Array, rtcp: boolean): SessionKeys {
  const base = rtcp ? LABEL.rtcpEncryption : LABEL.rtpEncryption;
  return {
    encryption: deriveSessionKey(masterKey, masterSalt, base, 16),
    auth: deriveSessionKey(masterKey, masterSalt, base + 1, 20), // HMAC-SHA1 key: 160 bits (§4.2.1)
    salt: deriveSessionKey(masterKey, masterSalt, base + 2, 14),
  };
}

/**
 * The packet IV (RFC 3711 §4.1.1): IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16),
 * written into `iv` (16 bytes). `index` is the 48-bit SRTP index (or the
 * 31-bit SRTCP index).
 */
export function packetIv(iv: Buffer, sessionSalt: Uint8Array, ssrc: number, index: number): Buffer {
  iv.fill(0);
  iv.set(sessionSalt, 0);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const high = Math.floor(index / 0x1_0000_0000); // top 16 of 48 bits
  const low = index >>> 0;
  iv.writeUInt16BE(iv.readUInt16BE(8) ^ high, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ low) >>> 0, 10);
  return iv;
}
