import { createInviteContext, runCleanups, runInviteChain, type InviteContext, type InviteMiddleware } from './inbound-chain.js';
import { SipError } from './sip-error.js';
import { SipDialogLeg } from './sip-dialog-leg.js';
import { sipStatusOf, type SipRequestLike, type SipServerResponse, type SrfLike } from './srf-types.js';

/**
 * Inbound calls: admission chain, 180 Ringing, 200 OK with our SDP, ACK.
 * drachtio-server already sent 100 Trying (RFC 3261 §8.2.6.1) and matches
 * CANCELs to the INVITE; a CANCEL at any point before the 200 is final for us.
 */

export interface AnswerOptions {
  /** The `c=` address, as given to `negotiateMedia` (used again for re-INVITEs). */
  publicAddress: string;
  /** Headers on our 180 / 200 (e.g. `User-Agent`). */
  headers?: Record<string, string>;
  /** RFC 3261 §13.3.1.4: give up on a missing ACK after 64×T1. */
  ackTimeoutMs?: number;
  /**
   * Runs after 180 Ringing and before 200 OK (e.g. connect the agent first, so
   * the caller never hears dead air). A CANCEL meanwhile ends the attempt.
   */
  beforeAnswer?: (ctx: InviteContext) => Promise<void>;
}

export type InboundOutcome =
  | { kind: 'answered'; leg: SipDialogLeg }
  | { kind: 'rejected'; status: number; reason: string }
  | { kind: 'canceled' };

export interface ServeInboundOptions extends AnswerOptions {
  chain: readonly InviteMiddleware[];
  onCall(leg: SipDialogLeg): void;
  onOutcome?(outcome: InboundOutcome, ctx?: InviteContext): void;
}

/** Route every new INVITE through the chain and answer it; answer out-of-dialog OPTIONS pings. */
export function serveInbound(srf: SrfLike, opts: ServeInboundOptions): void {
  srf.invite((req, res) => {
    void handleInvite(srf, req, res, opts).then((outcome) => {
      if (outcome.kind === 'answered') opts.onCall(outcome.leg);
    });
  });
  // OPTIONS keep-alives from trunks (RFC 3261 §11.2): 200 with what we support.
  srf.options((_req, res) => res.send(200, {
    headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY', Accept: 'application/sdp' },
  }));
}

export async function handleInvite(
  srf: SrfLike, req: SipRequestLike, res: SipServerResponse, opts: ServeInboundOptions,
): Promise<InboundOutcome> {
  let ctx: InviteContext | undefined;
  let canceled = false;
  req.on('cancel', () => { canceled = true; });
  try {
    // createUAS cannot answer without a Contact (protocols.md §8.3): refuse first.
    if (!req.has('Contact')) throw new SipError(400, 'Bad Request (missing Contact)');
    ctx = createInviteContext(req, res);
    await runInviteChain(ctx, opts.chain);
    if (canceled) throw new CanceledError();
    const outcome = await answerInvite(srf, ctx, opts, () => canceled);
    opts.onOutcome?.(outcome, ctx);
    return outcome;
  } catch (err) {
    if (ctx) runCleanups(ctx);
    const outcome = rejectionOf(err, canceled);
    if (outcome.kind === 'rejected' && !res.finalResponseSent) {
      const headers = err instanceof SipError ? err.headers : {};
      res.send(outcome.status, outcome.reason, { headers });
    }
    opts.onOutcome?.(outcome, ctx);
    return outcome;
  }
}

class CanceledError extends Error {}

function rejectionOf(err: unknown, canceled: boolean): InboundOutcome {
  // A CANCELled INVITE was already answered 487 by drachtio (RFC 3261 §9.2).
  if (canceled || err instanceof CanceledError || sipStatusOf(err) === 487) return { kind: 'canceled' };
  if (err instanceof SipError) return { kind: 'rejected', status: err.status, reason: err.reason };
  return { kind: 'rejected', status: 500, reason: 'Server Internal Error' };
}

/** 180, then createUAS (200 OK + SDP), then wait for the ACK. */
export async function answerInvite(
  srf: SrfLike, ctx: InviteContext, opts: AnswerOptions, isCanceled: () => boolean,
): Promise<InboundOutcome> {
  const media = ctx.media;
  if (!media) throw new SipError(500, 'Server Internal Error (no media negotiated)');
  ctx.res.send(180, 'Ringing', { headers: opts.headers ?? {} });
  await opts.beforeAnswer?.(ctx);
  if (isCanceled()) throw new CanceledError();
  const dialog = await srf.createUAS(ctx.req, ctx.res, { localSdp: media.localSdp, headers: opts.headers ?? {} });
  const acked = waitForAck(dialog, opts.ackTimeoutMs ?? 32_000);
  const leg = new SipDialogLeg({
    dialog, direction: 'inbound', from: ctx.from, to: ctx.to, agentId: ctx.agentId, trunkId: ctx.trunk?.id, transport: ctx.req.protocol,
    media, publicAddress: opts.publicAddress,
    cleanups: ctx.cleanups.splice(0),
  });
  if (isCanceled() || !(await acked)) {
    const byeFirst = leg.isEnded;
    await leg.hangup();
    if (isCanceled() || byeFirst) return { kind: 'canceled' };
    return { kind: 'rejected', status: 408, reason: 'Request Timeout (no ACK)' };
  }
  return { kind: 'answered', leg };
}

function waitForAck(dialog: { on(e: 'ack', l: () => void): unknown; on(e: 'destroy', l: () => void): unknown },
  timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    dialog.on('ack', () => { clearTimeout(timer); resolve(true); });
    dialog.on('destroy', () => { clearTimeout(timer); resolve(false); });
  });
}
