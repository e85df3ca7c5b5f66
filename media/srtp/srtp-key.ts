import { inspect } from 'node:util';
import { SRTP_SUITES, type SrtpSuiteName } from './srtp-suites.js';

/**
 * A master key and salt for one direction of one SRTP session (RFC 3711 §8.1),
 * as carried by SDES `inline:` (RFC 4568 §6.1). It prints and serialises as
 * `[redacted]`, so a careless log line or JSON dump cannot leak it.
 */
export class SrtpMasterKey {
  readonly suite: SrtpSuiteName;
  readonly #key: Buffer;
  readonly #salt: Buffer;

  /**
   * `mkiLength`: bytes of Master Key Identifier the sender puts in each packet
   * (RFC 3711 §3.1, SDES `|MKI:length`); 0 = none. We only ever hold one key,
   * so the MKI is skipped on receive, never used to pick a key.
   */
  constructor(suite: SrtpSuiteName, keyAndSalt: Uint8Array, readonly mkiLength = 0) {
    if (!Number.isInteger(mkiLength) || mkiLength < 0 || mkiLength > 128) throw new RangeError('SRTP MKI length must be 0-128 bytes');
    const s = SRTP_SUITES[suite];
    if (keyAndSalt.length !== s.keyBytes + s.saltBytes) {
      throw new RangeError(`${suite}: key||salt must be ${s.keyBytes + s.saltBytes} bytes, got ${keyAndSalt.length}`);
    }
    this.suite = suite;
    this.#key = Buffer.from(keyAndSalt.subarray(0, s.keyBytes));
    this.#salt = Buffer.from(keyAndSalt.subarray(s.keyBytes));
  }

  get key(): Buffer { return this.#key; }
  get salt(): Buffer { return this.#salt; }

  /** key||salt in base64, the SDES `inline:` value. Only the SDP builder should call this. */
  inlineBase64(): string {
    return Buffer.concat([this.#key, this.#salt]).toString('base64');
  }

  /** Same suite, key and salt (a re-offer that keeps its key, RFC 4568 §7.1.4). */
  equals(other: SrtpMasterKey): boolean {
    return this.suite === other.suite && this.#key.equals(other.key) && this.#salt.equals(other.salt);
  }

  toJSON(): string { return '[redacted]'; }
  toString(): string { return `SrtpMasterKey(${this.suite}, [redacted])`; }
  [inspect.custom](): string { return this.toString(); }
}
