import type { CallStatus } from '../store/schema.js';

/**
 * What the campaign engine asks the provider after a crash or a lost status
 * callback. A recipient in `dialing` has a stored intent (dial_intent_at) and
 * maybe the ids the dialer returned; this port says what became of it, so the
 * engine neither dials twice nor loses the recipient.
 *
 * Implementation notes (Twilio): with `providerCallId`, `calls(sid).fetch()`;
 * with only `callId`, the `calls` row the dialer stored before the REST request
 * gives the CallSid if the request returned; with neither, list calls to `to`
 * created since `intentAt` (minus clock skew) and pick the one whose status
 * callback / metadata names this recipient. Return null only when the provider
 * certainly has no call for the intent.
 */
export interface DialIntent {
  campaignId: string;
  recipientId: number;
  /** E.164 number dialled. */
  to: string;
  /** Epoch ms the intent was stored, before the provider was asked. */
  intentAt: number;
  /** Our call id, when dial() returned. */
  callId: string | null;
  /** Provider's id (CallSid), when dial() returned or an event carried it. */
  providerCallId: string | null;
  /** Calls of this recipient's earlier attempts: never the answer when searching by number and time. */
  earlierProviderCallIds: string[];
}

export interface ProviderCall {
  callId?: string;
  providerCallId: string;
  status: CallStatus;
  answeredBy?: string;
}

export interface OutboundCallLookup {
  /** The provider's call for this intent, or null if the provider never got the request. */
  findCall(intent: DialIntent): Promise<ProviderCall | null>;
}

/** Ends a live campaign call (cancel with hang-up): `canceled` if still ringing, `completed` once answered. */
export interface OutboundCallControl {
  hangup(call: { callId: string | null; providerCallId: string }): Promise<void>;
}
