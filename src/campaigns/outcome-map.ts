import { isEndReason, mapEndReason } from '../call/end-reason.js';
import type { CallStatusEvent } from '../calls/call-events.js';
import type { CampaignStatus, CallStatus, RecipientStatus } from '../store/schema.js';
import type { DialSettings } from './settings.js';

/** Recipients being dialled or on the phone: they count against the concurrency limit. */
export const ACTIVE_RECIPIENT: readonly RecipientStatus[] = ['dialing', 'ringing', 'in-progress'];
/** Not finished: waiting for a dial (now or after a retry delay) or active. */
export const OPEN_RECIPIENT: readonly RecipientStatus[] = ['pending', ...ACTIVE_RECIPIENT];

const FINAL_CALL: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export function isFinalCallStatus(status: CallStatus): boolean {
  return FINAL_CALL.has(status);
}

/** Twilio's AnsweredBy values for a machine (Enable: machine_start; DetectMessageEnd: machine_end_*). */
export function isMachine(answeredBy: string | undefined | null): boolean {
  return typeof answeredBy === 'string' && answeredBy.startsWith('machine');
}

/**
 * The recipient status a call's end means, total over every final provider
 * status × every EndReason (and an unknown or missing reason):
 * 1. the provider says the person was never reached (busy, no-answer,
 *    failed) or the call was cancelled before answer: that, whatever ended it;
 * 2. a machine answered: `voicemail` whatever the policy did (hang up, leave
 *    a message, connect the agent); a fax: a failed attempt;
 * 3. the bridge ended it for its own reasons (agent failed, media timeout,
 *    shutdown, crash, refused dial): `failed`, so it can be retried;
 * 4. otherwise the person was reached: `completed` (transferred counts too).
 */
export function recipientStatusForCall(status: CallStatus, answeredBy: string | undefined | null, endReason?: CallStatusEvent['endReason'] | string | null): RecipientStatus {
  switch (status) {
    case 'busy':
    case 'no-answer':
    case 'failed':
      return status;
    case 'canceled':
      return 'cancelled';
    default:
      break;
  }
  if (isMachine(answeredBy)) return 'voicemail';
  if (answeredBy === 'fax') return 'failed';
  if (isEndReason(endReason)) {
    const outcome = mapEndReason(endReason).campaignOutcome;
    if (outcome === 'failed' || outcome === 'cancelled') return 'failed';
  }
  return 'completed';
}

export interface NextStep {
  status: RecipientStatus;
  /** Set when the recipient goes back to `pending` for an automatic retry. */
  nextAttemptAt: number | null;
}

/**
 * After an attempt ends with `outcome`: retry later (back to `pending` with
 * `next_attempt_at`) while the campaign runs, the outcome is in `retryOn` and
 * attempts remain; otherwise keep the outcome, which is then final.
 */
export function nextStep(outcome: RecipientStatus, attempts: number, settings: DialSettings, campaign: CampaignStatus, now: number): NextStep {
  const live = campaign === 'running' || campaign === 'paused' || campaign === 'scheduled';
  if (live && settings.retryOn.includes(outcome) && attempts < settings.maxAttempts) {
    return { status: 'pending', nextAttemptAt: now + settings.retryDelaySeconds * 1000 };
  }
  return { status: outcome, nextAttemptAt: null };
}
