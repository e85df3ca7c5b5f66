import type { OutboundFailure } from './outbound-call.js';
import type { MediaOptions } from './media-port.js';
import { dialWithMedia } from './outbound-leg.js';
import type { SipDialogLeg } from './sip-dialog-leg.js';
import type { SrfLike } from './srf-types.js';
import type { OutboundTrunkConfig } from './trunks.js';

/**
 * Bridge-mode transfer: we stay a B2BUA (RFC 3261 §6 "back-to-back user
 * agent") between the caller and an operator we dial through the trunk.
 * Signaling only: src/ plays `agent_message` to the operator on
 * `operator.media.endpoint`, then relays RTP between the two legs, and on
 * `returnToAgent` gives the caller back to the agent.
 */

export interface OperatorDialOptions {
  media: MediaOptions;
  /** Caller ID presented to the operator (default: the trunk's). */
  from?: string;
  headers?: Record<string, string>;
  ringTimeoutMs?: number;
  /** The caller hung up while the operator rang: CANCEL. */
  signal?: AbortSignal;
}

export type OperatorDialResult =
  /** The operator answered: `operator.media` carries its codec, PT and remote. */
  | { kind: 'connected'; operator: SipDialogLeg }
  /** No answer / busy / decline / failure: the caller goes back to the agent. */
  | { kind: 'returnToAgent'; outcome: OutboundFailure; status?: number; reason: string };

export async function dialOperator(
  srf: SrfLike, trunk: OutboundTrunkConfig, operatorNumber: string, opts: OperatorDialOptions,
): Promise<OperatorDialResult> {
  const result = await dialWithMedia(srf, trunk, operatorNumber, opts.media, {
    from: opts.from,
    headers: opts.headers,
    ringTimeoutMs: opts.ringTimeoutMs ?? 30_000,
    signal: opts.signal,
  });
  if (!result.ok) return { kind: 'returnToAgent', outcome: result.outcome, status: result.status, reason: result.reason };
  return { kind: 'connected', operator: result.leg };
}

/**
 * Tie the two legs' lifetimes: whichever side sends BYE, the other is hung
 * up too (the bridge is over). Returns a function that unties them.
 */
export function tieLegs(caller: SipDialogLeg, operator: SipDialogLeg, onEnd: (by: 'caller' | 'operator') => void): () => void {
  const callerGone = (): void => { untie(); void operator.hangup(); onEnd('caller'); };
  const operatorGone = (): void => { untie(); void caller.hangup(); onEnd('operator'); };
  function untie(): void {
    caller.off('bye', callerGone);
    operator.off('bye', operatorGone);
  }
  caller.on('bye', callerGone);
  operator.on('bye', operatorGone);
  return untie;
}
