import { randomBytes } from 'node:crypto';
import { SrtpMasterKey } from '../../media/srtp/srtp-key.js';
import { isSuiteName, SRTP_SUITES, SUITE_PREFERENCE, type SrtpSuiteName } from '../../media/srtp/srtp-suites.js';

/**
 * SDES: SRTP keys in SDP `a=crypto` (RFC 4568). Pure: parse the offer's or
 * answer's crypto attributes into keys, and build ours.
 *
 *   a=crypto:<tag> <crypto-suite> inline:<base64(key||salt)>[|lifetime][|MKI:len] [session-params]
 *
 * We accept one inline key per attribute, with or without an MKI (skipped in
 * the peer's packets; ours carry none, RFC 3711 §3.1), KDR 0 and the WSH
 * hint; the key lifetime is not enforced (a call never nears 2^31 packets).
 * An attribute asking for anything
 * else (UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP, FEC, KDR≠0, unknown) is not
 * understood and skipped (RFC 4568 §6.3, §7.1.2), never half-honoured.
 */

export type MediaEncryption = 'disabled' | 'allowed' | 'required';

/** The `m.crypto` entries sdp-transform gives. */
export interface CryptoAttribute {
  id: number;
  suite: string;
  config: string;
  sessionConfig?: string;
}

export interface RemoteCrypto {
  tag: number;
  key: SrtpMasterKey;
}

/** What an SRTP stream agreed: the suite, the tag, and both directions' master keys. */
export interface NegotiatedSrtp {
  suite: SrtpSuiteName;
  tag: number;
  /** Ours: we protect with it, the peer decrypts with it. */
  localKey: SrtpMasterKey;
  /** Theirs: we unprotect with it. */
  remoteKey: SrtpMasterKey;
}

export const SAVP = 'RTP/SAVP';
export const PLAIN_PROTOCOLS: ReadonlySet<string> = new Set(['RTP/AVP', 'RTP/AVPF']);
/** SDES-keyed SRTP profiles (RFC 3711 §12, RFC 5124 for AVPF feedback). */
export const SDES_PROTOCOLS: ReadonlySet<string> = new Set(['RTP/SAVP', 'RTP/SAVPF']);

const SESSION_PARAM_OK = /^(KDR=0|WSH=\d+)$/;

/** One `a=crypto` into a key, or undefined when we cannot honour it exactly. */
export function parseCrypto(attr: CryptoAttribute): RemoteCrypto | undefined {
  if (!isSuiteName(attr.suite) || !Number.isInteger(attr.id) || attr.id < 0 || attr.id > 999_999_999) return undefined;
  const params = (attr.sessionConfig ?? '').split(/\s+/).filter(Boolean);
  if (!params.every((p) => SESSION_PARAM_OK.test(p))) return undefined;
  if (attr.config.includes(';')) return undefined; // several keys only come with MKIs
  const m = /^inline:([A-Za-z0-9+/=]+)((?:\|[^|]+){0,2})$/.exec(attr.config.trim());
  if (!m) return undefined;
  const extras = m[2]!.split('|').filter(Boolean);
  const mki = extras.find((x) => x.includes(':'));
  const mkiLength = mki ? Number(mki.split(':')[1]) : 0;
  if (!Number.isInteger(mkiLength) || mkiLength < 0 || mkiLength > 128) return undefined;
  const suite = SRTP_SUITES[attr.suite];
  const bytes = Buffer.from(m[1]!, 'base64');
  if (bytes.length !== suite.keyBytes + suite.saltBytes) return undefined;
  return { tag: attr.id, key: new SrtpMasterKey(attr.suite, bytes, mkiLength) };
}

/** The offerer lists its preference first (RFC 4568 §7.1.1); we take the first we can honour. */
export function pickOfferedCrypto(attrs: readonly CryptoAttribute[] | undefined): RemoteCrypto | undefined {
  for (const a of attrs ?? []) {
    const got = parseCrypto(a);
    if (got) return got;
  }
  return undefined;
}

/** A fresh master key||salt from the CSPRNG (RFC 4568 §6.1: keys MUST be random). */
export function freshKey(suite: SrtpSuiteName, random: (n: number) => Buffer = randomBytes): SrtpMasterKey {
  const s = SRTP_SUITES[suite];
  return new SrtpMasterKey(suite, random(s.keyBytes + s.saltBytes));
}

/** Our `a=crypto` for a key under a tag. */
export function cryptoAttribute(tag: number, key: SrtpMasterKey): CryptoAttribute {
  return { id: tag, suite: key.suite, config: `inline:${key.inlineBase64()}` };
}

/** The crypto lines of an offer we make: one fresh key per suite, our preference first, tags 1…n. */
export function offerKeys(random?: (n: number) => Buffer): SrtpMasterKey[] {
  return SUITE_PREFERENCE.map((suite) => freshKey(suite, random));
}

/** Is a media line's transport acceptable under the setting, and why not. */
export function transportVerdict(protocol: string, mode: MediaEncryption): 'plain' | 'sdes' | string {
  if (PLAIN_PROTOCOLS.has(protocol)) {
    return mode === 'required' ? `plain ${protocol} offered but SRTP is required (SIP_MEDIA_ENCRYPTION=required)` : 'plain';
  }
  if (SDES_PROTOCOLS.has(protocol)) {
    return mode === 'disabled' ? `${protocol} offered but SRTP is disabled (SIP_MEDIA_ENCRYPTION=disabled)` : 'sdes';
  }
  return `unsupported transport ${protocol} (plain RTP or SDES-keyed SRTP only; no DTLS-SRTP)`;
}
