import { isIP } from 'node:net';
import type { MediaEncryption } from '../media/sdes.js';
import type { RegistrationConfig } from './registration.js';

/**
 * SIP trunk configuration. Plain data: src/ builds it from config, this
 * package never reads the environment.
 */

export type SipTransport = 'udp' | 'tcp' | 'tls';

/**
 * How a number is written in the Request-URI / From user part.
 * `e164`: `+15551234567`; `e164-no-plus`: `15551234567`;
 * `national`: strip `nationalPrefix` country code and prepend `0` (e.g. `+44…` → `0…`);
 * `as-is`: untouched.
 */
export type NumberFormat = 'e164' | 'e164-no-plus' | 'national' | 'as-is';

export interface DigestCredentials {
  username: string;
  password: string;
  /** Realm we challenge with (inbound). Defaults to the trunk id. */
  realm?: string;
}

export interface InboundTrunkConfig {
  /** Source addresses (CIDR or bare IP) allowed to send INVITEs. Empty = any. */
  allowedCidrs: string[];
  /** When set, INVITEs must carry digest credentials (RFC 3261 §22.4). */
  credentials?: DigestCredentials;
}

export interface OutboundTrunkConfig {
  host: string;
  port?: number;
  transport?: SipTransport;
  credentials?: DigestCredentials;
  /** Extra headers on every INVITE (e.g. `X-Account`). */
  headers?: Record<string, string>;
  /** Caller ID used when the call does not set one. */
  callerId?: string;
  /** Display name in From. */
  callerName?: string;
  /** Host part of our From URI (defaults to `host`). */
  fromDomain?: string;
  numberFormat?: NumberFormat;
  /** Country calling code for `national` format, e.g. `44`. */
  countryCode?: string;
  /** SRTP for calls placed on this trunk (the trunk's own setting, else the global one). */
  mediaEncryption?: MediaEncryption;
}

export interface TrunkConfig {
  id: string;
  /** Overrides the global media-encryption setting for this trunk's calls. */
  mediaEncryption?: MediaEncryption;
  /** Register with the trunk / PBX (RFC 3261 §10). */
  register?: RegistrationConfig;
  inbound?: InboundTrunkConfig;
  outbound?: OutboundTrunkConfig;
}

/** Parse `a.b.c.d/n` or an IPv6 CIDR into a bigint network and mask. */
function parseCidr(cidr: string): { family: 4 | 6; net: bigint; mask: bigint } | undefined {
  const [addr, lenText] = cidr.trim().split('/');
  const family = isIP(addr ?? '');
  if (family !== 4 && family !== 6) return undefined;
  const bits = family === 4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return { family, net: ipToBigInt(addr!, family) & mask, mask };
}

function ipToBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the plain IPv4 address. */
function normalise(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export function cidrContains(cidr: string, address: string): boolean {
  const range = parseCidr(cidr);
  const ip = normalise(address);
  const family = isIP(ip);
  if (!range || family !== range.family) return false;
  return (ipToBigInt(ip, family) & range.mask) === range.net;
}

/** Throws on the first malformed CIDR, so a bad config stops the start, not a call. */
export function validateCidrs(cidrs: readonly string[]): void {
  for (const c of cidrs) if (!parseCidr(c)) throw new Error(`invalid CIDR: ${c}`);
}

/**
 * Trunks that may have sent a request from `address`: those whose allowlist
 * contains it, then those with no allowlist (credentials only).
 */
export function trunksForSource(trunks: readonly TrunkConfig[], address: string): TrunkConfig[] {
  const inbound = trunks.filter((t) => t.inbound);
  const listed = inbound.filter((t) => t.inbound!.allowedCidrs.some((c) => cidrContains(c, address)));
  const open = inbound.filter((t) => t.inbound!.allowedCidrs.length === 0);
  return [...listed, ...open];
}

/** Digits and a leading `+` only; `tel:`-style separators removed. */
export function normaliseNumber(raw: string): string {
  const trimmed = raw.trim();
  const plus = trimmed.startsWith('+');
  return (plus ? '+' : '') + trimmed.replace(/[^0-9]/g, '');
}

export function formatNumber(raw: string, format: NumberFormat = 'as-is', countryCode?: string): string {
  const n = normaliseNumber(raw);
  switch (format) {
    case 'as-is': return raw.trim();
    case 'e164': return n.startsWith('+') ? n : `+${n}`;
    case 'e164-no-plus': return n.replace(/^\+/, '');
    case 'national': {
      const digits = n.replace(/^\+/, '');
      if (countryCode && digits.startsWith(countryCode)) return `0${digits.slice(countryCode.length)}`;
      return digits;
    }
  }
}

/** Request-URI for a number on an outbound trunk (RFC 3261 §19.1.1; `transport` param §19.1.4). */
export function trunkRequestUri(trunk: OutboundTrunkConfig, number: string): string {
  const user = formatNumber(number, trunk.numberFormat, trunk.countryCode);
  const port = trunk.port ? `:${trunk.port}` : '';
  const transport = trunk.transport && trunk.transport !== 'udp' ? `;transport=${trunk.transport}` : '';
  const scheme = trunk.transport === 'tls' ? 'sips' : 'sip';
  return `${scheme}:${user}@${trunk.host}${port}${transport}`;
}

/** From header value for an outbound call (RFC 3261 §20.20). */
export function trunkFromHeader(trunk: OutboundTrunkConfig, callerId: string | undefined): string | undefined {
  const id = callerId ?? trunk.callerId;
  if (!id) return undefined;
  const user = formatNumber(id, trunk.numberFormat, trunk.countryCode);
  const name = trunk.callerName ? `"${trunk.callerName.replace(/"/g, '')}" ` : '';
  return `${name}<sip:${user}@${trunk.fromDomain ?? trunk.host}>`;
}
