import { sipStatusOf, type SentRequestLike, type SipDialog, type SipResponseLike, type SrfLike } from './srf-types.js';
import { trunkFromHeader, trunkRequestUri, type OutboundTrunkConfig } from './trunks.js';

/**
 * An outbound INVITE through a trunk (RFC 3261 §13.2), with digest
 * authentication done by drachtio-srf on 401/407 (§22.2), provisional
 * responses reported, and a ring timeout that CANCELs (§9.1).
 */

export type OutboundFailure = 'busy' | 'no-answer' | 'failed' | 'canceled' | 'auth-failed';

export type PlaceCallResult =
  | { ok: true; dialog: SipDialog; remoteSdp: string; callId: string }
  | { ok: false; outcome: OutboundFailure; status?: number; reason: string };

export interface PlaceCallOptions {
  /** Caller ID (number); defaults to the trunk's. */
  from?: string;
  headers?: Record<string, string>;
  localSdp: string;
  /** No answer within this → CANCEL, outcome `no-answer`. */
  ringTimeoutMs?: number;
  /** Abort while ringing → CANCEL, outcome `canceled`. */
  signal?: AbortSignal;
  onProgress?: (status: number, earlySdp?: string) => void;
}

/** Final status → campaign outcome (RFC 3261 §21). */
export function outcomeOfStatus(status: number, ringTimedOut = false): OutboundFailure {
  if (status === 487) return ringTimedOut ? 'no-answer' : 'canceled';
  if (status === 486 || status === 600 || status === 603) return 'busy';
  if (status === 480 || status === 408) return 'no-answer';
  if (status === 401 || status === 407) return 'auth-failed';
  return 'failed';
}

function buildHeaders(trunk: OutboundTrunkConfig, opts: PlaceCallOptions): Record<string, string> {
  const from = trunkFromHeader(trunk, opts.from);
  return { ...(trunk.headers ?? {}), ...(opts.headers ?? {}), ...(from ? { From: from } : {}) };
}

export async function placeSipCall(
  srf: SrfLike, trunk: OutboundTrunkConfig, to: string, opts: PlaceCallOptions,
): Promise<PlaceCallResult> {
  let invite: SentRequestLike | undefined;
  let ringTimedOut = false;
  let aborted = false;
  const cancel = (): void => { try { invite?.cancel(); } catch { /* already final */ } };
  const timer = opts.ringTimeoutMs ? setTimeout(() => { ringTimedOut = true; cancel(); }, opts.ringTimeoutMs) : undefined;
  const onAbort = (): void => { aborted = true; cancel(); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) return { ok: false, outcome: 'canceled', reason: 'aborted before dialing' };
    const { credentials } = trunk;
    const dialog = await srf.createUAC(trunkRequestUri(trunk, to), {
      localSdp: opts.localSdp,
      headers: buildHeaders(trunk, opts),
      // drachtio-srf answers a 401 (Authorization) or a proxy's 407 (Proxy-Authorization) with these, once (RFC 3261 §22.2-22.3).
      ...(credentials ? { auth: { username: credentials.username, password: credentials.password } } : {}),
      ...(trunk.proxy ? { proxy: trunk.proxy } : {}),
    }, {
      cbRequest: (_err, req) => { invite = req; if (ringTimedOut || aborted) cancel(); },
      cbProvisional: (res: SipResponseLike) => opts.onProgress?.(res.status, res.body || undefined),
    });
    if (ringTimedOut || aborted) {
      // 200 crossed our CANCEL (RFC 3261 §9.1): the call is up, so end it with BYE.
      await dialog.destroy().catch(() => undefined);
      return { ok: false, outcome: aborted ? 'canceled' : 'no-answer', status: 200, reason: 'answered after CANCEL' };
    }
    return { ok: true, dialog, remoteSdp: dialog.remote.sdp, callId: dialog.sip.callId };
  } catch (err) {
    const status = sipStatusOf(err);
    if (status === undefined) return { ok: false, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
    const reason = (err as { reason?: string }).reason ?? '';
    return { ok: false, outcome: aborted ? 'canceled' : outcomeOfStatus(status, ringTimedOut), status, reason };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
