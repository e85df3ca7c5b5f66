/** Every way a call can end. One union, mapped below to each provider's terms. */
export const END_REASONS = [
  'caller-hangup', 'caller-cancelled', 'agent-ended', 'silence-timeout', 'max-duration', 'media-timeout',
  'agent-failed', 'transfer', 'rejected', 'shutdown', 'error',
] as const;

export type EndReason = (typeof END_REASONS)[number];

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
  // The caller gave up while it rang (SIP CANCEL): the INVITE was answered 487 (RFC 3261 §9.2).
  'caller-cancelled': { sipStatus: 487, twilioAction: 'hangup', campaignOutcome: 'failed' },
  'agent-ended': { sipStatus: 480, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'silence-timeout': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'max-duration': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'completed' },
  'media-timeout': { sipStatus: 408, twilioAction: 'hangup', campaignOutcome: 'failed' },
  'agent-failed': { sipStatus: 503, twilioAction: 'hangup', campaignOutcome: 'failed' },
  transfer: { sipStatus: 302, twilioAction: 'continue', campaignOutcome: 'transferred' },
  rejected: { sipStatus: 403, twilioAction: 'hangup', campaignOutcome: 'failed' },
  shutdown: { sipStatus: 503, twilioAction: 'hangup', campaignOutcome: 'cancelled' },
  error: { sipStatus: 500, twilioAction: 'hangup', campaignOutcome: 'failed' },
};

export function mapEndReason(reason: EndReason): ReasonMapping {
  return MAPPING[reason];
}
