/** Every way a call can end. One union, mapped below to each provider's terms. */
export const END_REASONS = [
  'caller-hangup', 'agent-ended', 'silence-timeout', 'max-duration', 'media-timeout',
  'agent-failed', 'transfer', 'rejected', 'shutdown', 'error',
  /** Hung up through the API (POST /calls/{id}/hangup, campaign cancel with hang-up). */
  'api-hangup',
  /** The provider reported the call over with no session of ours attached (busy, no answer, a machine that hung up). */
  'provider-ended',
  /** The provider refused the dial (REST create error) or it could not be reached. */
  'dial-failed',
  /** The instance holding the call died; found on restart (reconcile). */
  'lost',
] as const;

export type EndReason = (typeof END_REASONS)[number];

export function isEndReason(value: unknown): value is EndReason {
  return typeof value === 'string' && (END_REASONS as readonly string[]).includes(value);
}

export type CampaignOutcome = 'completed' | 'failed' | 'transferred' | 'cancelled';

interface ReasonMapping {
  /** SIP status we send when we end a not-yet-answered SIP call for this reason (RFC 3261 §21). */
  sipStatus: number;
  /** What the bridge asks Twilio to do with the call once the stream is closed. */
  twilioAction: 'hangup' | 'continue';
  campaignOutcome: CampaignOutcome;
}

const MAPPING: Record<EndReason, ReasonMapping> = {
  'caller-hangup': { sipStatus: 487, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'agent-ended': { sipStatus: 480, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'silence-timeout': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'max-duration': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'media-timeout': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'failed' },
  'agent-failed': { sipStatus: 503, twilioAction: 'hangup', campaignOutcome: 'failed' },
  transfer: { sipStatus: 302, twilioAction: 'continue', campaignOutcome: 'transferred' },
  rejected: { sipStatus: 403, twilioAction: 'hangup', campaignOutcome: 'failed' },
  shutdown: { sipStatus: 503, twilioAction: 'hangup', campaignOutcome: 'cancelled' },
  error: { sipStatus: 500, twilioAction: 'hangup', campaignOutcome: 'failed' },
  // 480 Temporarily Unavailable (RFC 3261 §21.4.18): the operator ended it, the callee may be reached later.
  'api-hangup': { sipStatus: 480, twilioAction: 'hangup', campaignOutcome: 'completed' },
  // The provider already ended it; nothing is sent. 487 Request Terminated (§21.4.25) if a status is ever needed.
  'provider-ended': { sipStatus: 487, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'dial-failed': { sipStatus: 500, twilioAction: 'hangup', campaignOutcome: 'failed' },
  lost: { sipStatus: 500, twilioAction: 'hangup', campaignOutcome: 'failed' },
};

export function mapEndReason(reason: EndReason): ReasonMapping {
  return MAPPING[reason];
}
