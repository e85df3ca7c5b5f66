import { parseNameAddr, type NameAddr } from './sip-headers.js';

/**
 * What the agent may learn about who calls and why, from the INVITE:
 *  - the caller's number: From, unless it is anonymous (RFC 3323 §4.1.1.3:
 *    `anonymous@anonymous.invalid`), then the network-asserted identity
 *    (P-Asserted-Identity, RFC 3325 §9.1) a trusted trunk adds;
 *  - configured headers as dynamic variables `sip_<lower_snake_name>`
 *    (`X-Customer-Id` → `sip_x_customer_id`), values trimmed, control
 *    characters removed and bounded, since they come from the network.
 */

export const MAX_HEADER_VALUE = 256;

interface HeaderSource {
  get(name: string): string | undefined;
}

export function isAnonymous(from: NameAddr): boolean {
  const user = from.user?.toLowerCase();
  return user === 'anonymous' || user === 'restricted' || from.host?.toLowerCase() === 'anonymous.invalid' || !user;
}

/** The caller's number or user: From, or P-Asserted-Identity when From is anonymous. */
export function callerIdOf(req: HeaderSource, from: NameAddr): string {
  if (!isAnonymous(from)) return from.user ?? from.uri;
  // A PAI may list a sip: and a tel: identity (RFC 3325 §9.1): the first with a user part wins.
  for (const value of splitHeaderValues(req.get('P-Asserted-Identity'))) {
    const pai = parseNameAddr(value);
    if (pai?.user && !isAnonymous(pai)) return pai.user;
  }
  return from.user ?? 'anonymous';
}

export function variableNameOf(header: string): string {
  return `sip_${header.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
}

export function headerVariables(req: HeaderSource, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const raw = req.get(name);
    if (raw === undefined) continue;
    // eslint-disable-next-line no-control-regex
    const value = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_HEADER_VALUE).trim();
    if (value) out[variableNameOf(name)] = value;
  }
  return out;
}

/** `a, b` → [`a`, `b`], keeping commas inside `<…>` and quotes. */
function splitHeaderValues(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((v) => v.trim()).filter(Boolean);
}
