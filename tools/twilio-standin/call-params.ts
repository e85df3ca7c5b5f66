/**
 * The parameters Twilio sends with every voice request about a call (Twilio voice
 * webhook docs; protocols.md §1.1), and URL resolution for TwiML that uses relative URLs.
 */
import type { FormParams } from './webhook-signer.js';

export type CallDirection = 'inbound' | 'outbound-api' | 'outbound-dial';
export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

export interface CallIdentity {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: CallDirection;
  /** Added to every request (e.g. CallerName, FromCountry, STIR/SHAKEN fields). */
  extraParams?: FormParams;
}

export function callParams(id: CallIdentity, status: CallStatus, more: FormParams = {}): FormParams {
  return {
    CallSid: id.callSid,
    AccountSid: id.accountSid,
    From: id.from,
    To: id.to,
    CallStatus: status,
    Direction: id.direction,
    ApiVersion: '2010-04-01',
    // Legacy duplicates of From/To that Twilio still sends (§1.1).
    Caller: id.from,
    Called: id.to,
    ...id.extraParams,
    ...more,
  };
}

/** Resolves a TwiML URL (Redirect, action, Stream url) against the document it came from. */
export function resolveUrl(url: string, base: string): string {
  return new URL(url, base).toString();
}

/**
 * A `<Stream url>` may be relative; Twilio connects with the WebSocket scheme of the same
 * security level (it only accepts wss in production, error 31922; ws is allowed here for
 * local tests).
 */
export function resolveStreamUrl(url: string, base: string): string {
  const u = new URL(url, base);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  return u.toString();
}
