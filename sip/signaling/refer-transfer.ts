import { parseSipfragStatus } from './sip-headers.js';
import type { SipDialog, SipRequestLike, SipServerResponse } from './srf-types.js';

/**
 * Blind transfer by REFER inside the caller's dialog (RFC 3515), following
 * the implicit `refer` subscription's NOTIFYs whose bodies are
 * `message/sipfrag` status lines (RFC 3515 §2.4.5, RFC 3420).
 */

export type ReferOutcome =
  /** The transfer target answered (sipfrag 2xx). We should now send BYE (RFC 5589 §6.1). */
  | { kind: 'transferred'; status: number }
  /** The REFER itself was refused (4xx–6xx): fall back to bridge mode. */
  | { kind: 'refused'; status: number; reason: string }
  /** Accepted, but the new call failed (sipfrag ≥ 300) or no final NOTIFY came in time. */
  | { kind: 'failed'; status?: number; reason: string };

export interface ReferOptions {
  /** Our own URI for `Referred-By` (RFC 3892). */
  referredBy?: string;
  /** How long to wait for a final sipfrag after 202. */
  timeoutMs?: number;
  /** Each sipfrag status as it arrives (100, 180, …). */
  onProgress?: (status: number) => void;
}

function referTo(target: string): string {
  return target.startsWith('<') ? target : `<${target}>`;
}

export async function referTransfer(dialog: SipDialog, target: string, opts: ReferOptions = {}): Promise<ReferOutcome> {
  // Listen before sending: the first NOTIFY may race the 202 (RFC 3515 §2.4.4).
  const watch = watchReferNotifies(dialog, opts);
  let status: number;
  let reason: string;
  try {
    const res = await dialog.request({
      method: 'REFER',
      headers: { 'Refer-To': referTo(target), ...(opts.referredBy ? { 'Referred-By': referTo(opts.referredBy) } : {}) },
    });
    status = res.status;
    reason = res.reason;
  } catch (err) {
    watch.stop();
    return { kind: 'refused', status: 500, reason: err instanceof Error ? err.message : String(err) };
  }
  if (status < 200 || status >= 300) {
    watch.stop();
    return { kind: 'refused', status, reason };
  }
  return watch.outcome;
}

interface NotifyWatch {
  outcome: Promise<ReferOutcome>;
  stop(): void;
}

function watchReferNotifies(dialog: SipDialog, opts: ReferOptions): NotifyWatch {
  let settle!: (o: ReferOutcome) => void;
  const outcome = new Promise<ReferOutcome>((resolve) => { settle = resolve; });
  const timer = setTimeout(() => done({ kind: 'failed', reason: 'no final NOTIFY' }), opts.timeoutMs ?? 30_000);
  let lastStatus = 0;
  const onNotify = (req: SipRequestLike, res: SipServerResponse): void => {
    res.send(200);
    if (!/^refer\b/i.test(req.get('Event') ?? '')) return;
    const frag = parseSipfragStatus(req.body ?? '');
    const terminated = /terminated/i.test(req.get('Subscription-State') ?? '');
    if (frag) { lastStatus = frag.status; opts.onProgress?.(frag.status); }
    if (frag && frag.status >= 200 && frag.status < 300) done({ kind: 'transferred', status: frag.status });
    else if (frag && frag.status >= 300) done({ kind: 'failed', status: frag.status, reason: frag.reason });
    else if (terminated) done({ kind: 'failed', status: lastStatus || undefined, reason: 'subscription terminated without a final status' });
  };
  // [Inference] A transferee that hangs up on us after accepting the REFER has moved the caller.
  const onDestroy = (): void => done({ kind: 'transferred', status: lastStatus || 200 });
  function done(o: ReferOutcome): void {
    stop();
    settle(o);
  }
  function stop(): void {
    clearTimeout(timer);
    dialog.removeListener('notify', onNotify);
    dialog.removeListener('destroy', onDestroy);
  }
  dialog.on('notify', onNotify);
  dialog.on('destroy', onDestroy);
  return { outcome, stop };
}
