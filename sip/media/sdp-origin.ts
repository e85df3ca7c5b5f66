/**
 * The o= line and direction attributes across one SDP session (RFC 4566
 * §5.2, RFC 3264 §5 and §8): keep the session id, bump the version on every
 * change (hold, unhold, new port), keep it on an unchanged re-send.
 */
import { randomInt } from 'node:crypto';
import type { SessionDescription } from 'sdp-transform';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface OriginOptions {
  /** o= session id; random when absent. */
  sessionId?: string;
  /** o= session version; defaults to the session id's value (a common convention). */
  sessionVersion?: number;
  /**
   * The SDP we sent last in this session (re-INVITE): its session id is kept
   * and its version is bumped only if the new SDP differs (RFC 3264 §8).
   */
  previous?: string;
}

export function sdpDirection(d: string | undefined): Direction {
  return d === 'sendonly' || d === 'recvonly' || d === 'inactive' ? d : 'sendrecv';
}

export function sdpOrigin(o: OriginOptions, ipVer: number): SessionDescription['origin'] {
  const sessionId = o.sessionId ?? String(randomInt(1, 2 ** 31 - 1));
  return {
    username: '-', sessionId, sessionVersion: o.sessionVersion ?? Number(sessionId),
    netType: 'IN', ipVer, address: '0.0.0.0',
  };
}

const ORIGIN_LINE = /^o=(\S+) (\S+) (\d+) (\S+) (\S+) (\S+)[ \t]*$/m;

/** Replace the o= session id and version of `sdp`; the o= address is set from c= later. */
function setOrigin(sdp: string, sessionId: string, version: number): string {
  return sdp.replace(ORIGIN_LINE, (_l, user: string, _id: string, _v: string, net: string, ipv: string, addr: string) =>
    `o=${user} ${sessionId} ${version} ${net} ${ipv} ${addr}`);
}

export function readOrigin(sdp: string): { sessionId: string; sessionVersion: number } | undefined {
  const m = ORIGIN_LINE.exec(sdp);
  return m ? { sessionId: m[2]!, sessionVersion: Number(m[3]) } : undefined;
}

/** Continue the session of `previous` (if any) with body `sdp`: same id, version +1 only if changed. */
export function continueSession(sdp: string, previous: string | undefined): string {
  const prev = previous ? readOrigin(previous) : undefined;
  if (!prev) return sdp;
  const same = setOrigin(sdp, prev.sessionId, prev.sessionVersion);
  return same === previous ? same : setOrigin(sdp, prev.sessionId, prev.sessionVersion + 1);
}

/** Set the o= address to the session c= address (RFC 4566 §5.2: the originating host). */
export function originAddressFromConnection(sdp: string): string {
  const c = /^c=IN IP[46] (\S+)/m.exec(sdp);
  if (!c) return sdp;
  return sdp.replace(ORIGIN_LINE, (_l, user: string, id: string, v: string, net: string, ipv: string) =>
    `o=${user} ${id} ${v} ${net} ${ipv} ${c[1]!.split('/')[0]}`);
}

/** Replace every direction attribute by `direction` (session and media level), adding one per m= if absent. */
function withDirection(sdp: string, direction: Direction): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => !/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(l));
  const out: string[] = [];
  let inMedia = false;
  for (const l of lines) {
    if (l.startsWith('m=')) {
      if (inMedia) insertBeforeTrailingEmpty(out, `a=${direction}`);
      inMedia = !/^m=\S+ 0 /.test(l);
    }
    out.push(l);
  }
  if (inMedia) insertBeforeTrailingEmpty(out, `a=${direction}`);
  return out.join(eol);
}

function insertBeforeTrailingEmpty(out: string[], line: string): void {
  let i = out.length;
  while (i > 0 && out[i - 1] === '') i--;
  out.splice(i, 0, line);
}

/**
 * Our hold re-offer (RFC 3264 §8.4): `sendonly` (we still send, e.g. music)
 * or `inactive`, with the o= version bumped. `sdp` is the last SDP we sent.
 */
export function reofferHold(sdp: string, mode: 'sendonly' | 'inactive' = 'sendonly'): string {
  return bump(withDirection(sdp, mode), sdp);
}

/** Resume after hold: `sendrecv`, o= version bumped. */
export function reofferUnhold(sdp: string): string {
  return bump(withDirection(sdp, 'sendrecv'), sdp);
}

function bump(sdp: string, previous: string): string {
  const prev = readOrigin(previous);
  return prev ? setOrigin(sdp, prev.sessionId, prev.sessionVersion + 1) : sdp;
}
