/**
 * Small parsers for the header shapes this package reads, so signaling logic
 * does not depend on drachtio's `getParsedHeader` shapes.
 */

export interface NameAddr {
  display?: string;
  uri: string;
  /** User part of a sip/sips/tel URI, e.g. the number. */
  user?: string;
  host?: string;
  params: Record<string, string>;
}

/** `"Name" <sip:user@host;x>;tag=abc` (RFC 3261 §20.10, §25.1 name-addr / addr-spec). */
export function parseNameAddr(value: string | undefined): NameAddr | undefined {
  if (!value) return undefined;
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>(.*)$/.exec(value);
  const display = m ? (m[1] ?? (m[2]?.trim() || undefined)) : undefined;
  const uri = m ? m[3]! : value.split(';')[0]!.trim();
  const rest = m ? m[4]! : value.slice(value.indexOf(';') >= 0 ? value.indexOf(';') : value.length);
  const params: Record<string, string> = {};
  for (const p of rest.split(';').slice(1)) {
    const [k, v = ''] = p.split('=');
    if (k) params[k.trim().toLowerCase()] = v.trim();
  }
  const um = /^(?:sips?|tel):(?:([^@;]+)@)?([^;?>]*)/i.exec(uri);
  const isTel = uri.toLowerCase().startsWith('tel:');
  const user = isTel ? um?.[2] : um?.[1];
  return { display, uri, user: user ? decodeURIComponent(user) : undefined, host: isTel ? undefined : um?.[2], params };
}

/** `SIP/2.0 180 Ringing` from a message/sipfrag body (RFC 3420). */
export function parseSipfragStatus(body: string): { status: number; reason: string } | undefined {
  const m = /^SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/.exec(body.trimStart());
  return m ? { status: Number(m[1]), reason: m[2]!.trim() } : undefined;
}

/** One DTMF digit from an INFO `application/dtmf-relay` body (`Signal=5\r\nDuration=160`). */
export function parseDtmfRelay(body: string): { digit: string; durationMs?: number } | undefined {
  const signal = /^\s*Signal\s*=\s*([0-9A-D*#]|1[0-6])\s*$/im.exec(body);
  if (!signal) return undefined;
  const dur = /^\s*Duration\s*=\s*(\d+)\s*$/im.exec(body);
  const codes = '0123456789*#ABCD';
  const raw = signal[1]!.toUpperCase();
  const digit = /^1[0-5]$/.test(raw) ? codes[Number(raw)]! : raw;
  return { digit, durationMs: dur ? Number(dur[1]) : undefined };
}
