import { createInviteContext, runCleanups, runInviteChain, type InviteContext, type InviteMiddleware } from './inbound-chain.js';
import { startRingback, type Ringback } from './early-media.js';
import { acceptLateAnswer } from './late-offer.js';
import { SipError } from './sip-error.js';
import { SipDialogLeg } from './sip-dialog-leg.js';
import { sipStatusOf, type SipRequestLike, type SipServerResponse, type SrfLike } from './srf-types.js';

/**
 * Inbound calls: admission chain, 180 Ringing (or 183 with early media),
 * `beforeAnswer` (the agent gets ready while it rings), 200 OK with our SDP,
 * ACK. drachtio-server already sent 100 Trying (RFC 3261 §8.2.6.1) and
 * matches CANCELs to the INVITE (it answers 487 itself, §9.2); a CANCEL at any
 * point before the 200 is final for us. No RTP leaves before the 200 OK
 * except the early-media ringback after a 183.
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
   * the caller never hears dead air): resolve to answer, throw a `SipError` to
   * refuse. `signal` aborts on CANCEL, which ends the attempt. Not run for a
   * late offer: its codec is only known from the ACK.
   */
  beforeAnswer?: (ctx: InviteContext, signal: AbortSignal) => Promise<void>;
  /** `ringback`: 183 Session Progress with our answer and a ringback tone while `beforeAnswer` runs (RFC 3960). */
  earlyMedia?: 'off' | 'ringback';
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
  const cancel = new AbortController();
  req.on('cancel', () => { canceled = true; cancel.abort(); });
  try {
    // createUAS cannot answer without a Contact (protocols.md §8.3): refuse first.
    if (!req.has('Contact')) throw new SipError(400, 'Bad Request (missing Contact)');
    ctx = createInviteContext(req, res);
    await runInviteChain(ctx, opts.chain);
    if (canceled) throw new CanceledError();
    const outcome = await answerInvite(srf, ctx, opts, () => canceled, cancel.signal);
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

/** 180 (or 183 + ringback), `beforeAnswer`, then createUAS (200 OK + SDP), then wait for the ACK. */
export async function answerInvite(
  srf: SrfLike, ctx: InviteContext, opts: AnswerOptions, isCanceled: () => boolean, signal = new AbortController().signal,
): Promise<InboundOutcome> {
  const media = ctx.media;
  const late = ctx.lateOffer;
  if (!media && !late) throw new SipError(500, 'Server Internal Error (no media negotiated)');
  const headers = opts.headers ?? {};
  let ringback: Ringback | undefined;
  if (media && opts.earlyMedia === 'ringback') {
    ctx.res.send(183, 'Session Progress', { headers: { ...headers, 'Content-Type': 'application/sdp' }, body: media.localSdp });
    ringback = startRingback(media);
  } else {
    ctx.res.send(180, 'Ringing', { headers });
  }
  try {
    if (media) await opts.beforeAnswer?.(ctx, signal);
  } finally {
    ringback?.stop();
  }
  if (isCanceled()) throw new CanceledError();
  const dialog = await srf.createUAS(ctx.req, ctx.res, { localSdp: media?.localSdp ?? late!.offerSdp, headers });
  // The 200 OK is out: media may flow now (RFC 3264 §5: the offerer may receive once it sent the offer).
  media?.session.setDirection(media.direction);
  const acked = waitForAck(dialog, opts.ackTimeoutMs ?? 32_000);
  const settled = media ?? (late ? await acceptLateAnswer(late, acked) : undefined);
  if (!settled) {
    await dialog.destroy().catch(() => undefined);
    if (isCanceled()) return { kind: 'canceled' };
    return { kind: 'rejected', status: 488, reason: 'Not Acceptable Here (no usable answer in the ACK)' };
  }
  const leg = new SipDialogLeg({
    dialog, direction: 'inbound', from: ctx.from, to: ctx.to, agentId: ctx.agentId, trunkId: ctx.trunk?.id, transport: ctx.req.protocol,
    media: settled, publicAddress: opts.publicAddress,
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

/** The ACK (with its body: a late offer's answer, RFC 3261 §13.2.1), or false on BYE / timeout. */
function waitForAck(dialog: { on(e: 'ack', l: (ack: SipRequestLike) => void): unknown; on(e: 'destroy', l: () => void): unknown },
  timeoutMs: number): Promise<SipRequestLike | false> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    dialog.on('ack', (ack) => { clearTimeout(timer); resolve(ack); });
    dialog.on('destroy', () => { clearTimeout(timer); resolve(false); });
  });
}
