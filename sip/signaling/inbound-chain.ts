import { DigestVerifier } from './digest.js';
import { answerOffer } from '../media/sdp-negotiation.js';
import { DEFAULT_CODECS, openNegotiated, type LegMedia, type MediaOptions } from './media-port.js';
import { SipError } from './sip-error.js';
import { parseNameAddr, type NameAddr } from './sip-headers.js';
import type { SipRequestLike, SipServerResponse } from './srf-types.js';
import { normaliseNumber, trunksForSource, type TrunkConfig } from './trunks.js';

/**
 * INVITE admission as a chain of verb-named middlewares (the jambonz shape).
 * Each reads and fills an `InviteContext`, or throws `SipError(status, reason)`;
 * `runInviteChain` stops at the first throw. Anything a middleware acquires
 * (capacity slot, RTP port) is registered in `ctx.cleanups`, so a later
 * refusal or a CANCEL gives it back.
 */

export interface InviteContext {
  readonly req: SipRequestLike;
  readonly res: SipServerResponse;
  readonly callId: string;
  readonly from: NameAddr;
  readonly to: NameAddr;
  /** Trunks the source address may belong to, best first. */
  candidates: TrunkConfig[];
  trunk?: TrunkConfig;
  authenticatedUser?: string;
  callingNumber: string;
  calledNumber: string;
  agentId?: string;
  media?: LegMedia;
  /** Run (last first) if the INVITE is not answered; handed to the leg otherwise. */
  cleanups: Array<() => void>;
}

export type InviteMiddleware = (ctx: InviteContext) => void | Promise<void>;

export function createInviteContext(req: SipRequestLike, res: SipServerResponse): InviteContext {
  const from = parseNameAddr(req.get('From'));
  const to = parseNameAddr(req.get('To'));
  const callId = req.get('Call-ID');
  if (!from || !to || !callId) throw new SipError(400, 'Bad Request');
  return {
    req, res, callId, from, to, candidates: [], cleanups: [],
    callingNumber: req.callingNumber || from.user || '',
    calledNumber: req.calledNumber || to.user || '',
  };
}

export async function runInviteChain(ctx: InviteContext, chain: readonly InviteMiddleware[]): Promise<void> {
  for (const step of chain) await step(ctx);
}

export function runCleanups(ctx: InviteContext): void {
  for (const fn of ctx.cleanups.splice(0).reverse()) {
    try { fn(); } catch { /* cleanup must not stop the others */ }
  }
}

/** Source address against each trunk's allowlist (RFC 3261 §26.3.2.2 network-level trust). */
export function identifyTrunk(trunks: readonly TrunkConfig[]): InviteMiddleware {
  return (ctx) => {
    if (ctx.trunk) return; // already identified (e.g. an INVITE to a registered contact from its registrar)
    ctx.candidates = trunksForSource(trunks, ctx.req.source_address);
    if (ctx.candidates.length === 0) throw new SipError(403, 'Forbidden (unknown source)');
    const first = ctx.candidates[0]!;
    // An allowlisted trunk without credentials is identified by address alone.
    if (!first.inbound!.credentials && first.inbound!.allowedCidrs.length > 0) ctx.trunk = first;
  };
}

/**
 * Digest authentication of the INVITE (RFC 3261 §22.4, RFC 2617 MD5, qop=auth):
 * no or wrong credentials → 401 with a fresh `WWW-Authenticate` challenge
 * (stale=true when only the nonce expired, RFC 7616 §3.3).
 */
export function challengeDigest(opts: { realm: string; nonceKey?: Buffer; now?: () => number }): InviteMiddleware {
  const verifier = new DigestVerifier(opts);
  return (ctx) => {
    if (ctx.trunk) return;
    const withCreds = ctx.candidates.filter((t) => t.inbound!.credentials);
    if (withCreds.length === 0) throw new SipError(403, 'Forbidden');
    const header = ctx.req.get('Authorization');
    const check = verifier.verify(header, ctx.req.method, (user) =>
      withCreds.find((t) => t.inbound!.credentials!.username === user)?.inbound!.credentials!.password);
    if (!check.ok) {
      // Wrong password or unknown user: 403 ends the exchange (a fresh 401
      // would make the caller loop). Anything else gets a new challenge.
      if (check.why === 'bad response' || check.why === 'unknown user') {
        throw new SipError(403, 'Forbidden (bad credentials)');
      }
      throw new SipError(401, 'Unauthorized', { 'WWW-Authenticate': verifier.challenge(check.stale) });
    }
    ctx.authenticatedUser = check.username;
    ctx.trunk = withCreds.find((t) => t.inbound!.credentials!.username === check.username);
  };
}

export interface AgentRoutes {
  /** Called number (normalised: digits with optional leading `+`) → agent id. */
  byNumber: Record<string, string>;
  /** Per trunk default. */
  byTrunk?: Record<string, string>;
  defaultAgentId?: string;
}

/** Pick the agent from the called number (Request-URI user, else To). No route → 404 (RFC 3261 §21.4.5). */
export function routeToAgent(routes: AgentRoutes): InviteMiddleware {
  const table = new Map(Object.entries(routes.byNumber).map(([k, v]) => [normaliseNumber(k), v]));
  return (ctx) => {
    const called = normaliseNumber(ctx.calledNumber);
    const agent = table.get(called) ?? table.get(called.replace(/^\+/, '')) ?? table.get(`+${called.replace(/^\+/, '')}`)
      ?? (ctx.trunk ? routes.byTrunk?.[ctx.trunk.id] : undefined) ?? routes.defaultAgentId;
    if (!agent) throw new SipError(404, 'Not Found (no agent for this number)');
    ctx.agentId = agent;
  };
}

export interface CapacityGate {
  /** A release function, or why not: 486 (busy here) or 503 (overloaded, RFC 3261 §21.5.4). */
  tryAcquire(ctx: InviteContext): (() => void) | { status: 486 | 503; reason: string };
}

/** At most `max` calls at once; beyond that answer `status` (486 by default). */
export function concurrencyGate(max: number, status: 486 | 503 = 486): CapacityGate & { readonly active: number } {
  let active = 0;
  return {
    get active() { return active; },
    tryAcquire() {
      if (active >= max) return { status, reason: status === 486 ? 'Busy Here (capacity)' : 'Service Unavailable (capacity)' };
      active += 1;
      let released = false;
      return () => { if (!released) { released = true; active -= 1; } };
    },
  };
}

export function checkCapacity(gate: CapacityGate): InviteMiddleware {
  return (ctx) => {
    const got = gate.tryAcquire(ctx);
    if (typeof got !== 'function') {
      throw new SipError(got.status, got.reason, got.status === 503 ? { 'Retry-After': '5' } : {});
    }
    ctx.cleanups.push(got);
  };
}

/**
 * RFC 3264 §6: answer the offer on a fresh RTP port; nothing acceptable → 488
 * (RFC 3261 §21.4.26), which is also the answer to a plain offer when the
 * trunk (or SIP_MEDIA_ENCRYPTION) requires SRTP.
 */
export function negotiateMedia(opts: MediaOptions): InviteMiddleware {
  return async (ctx) => {
    const offer = ctx.req.body;
    if (!offer || !/^v=0/m.test(offer)) throw new SipError(488, 'Not Acceptable Here (SDP offer required)');
    const codecs = opts.codecs ?? DEFAULT_CODECS;
    const mediaEncryption = ctx.trunk?.mediaEncryption ?? opts.mediaEncryption ?? 'allowed';
    const { media, session, release } = await openNegotiated(opts, (port) =>
      answerOffer(offer, { address: opts.publicAddress, port, codecs, ptime: 20, mediaEncryption }));
    ctx.cleanups.push(release);
    const { answerSdp, ...negotiated } = media;
    ctx.media = { ...negotiated, session, localSdp: answerSdp };
  };
}
