import type { OutboundCallControl, OutboundCallLookup, DialIntent, ProviderCall } from '../campaigns/reconcile-port.js';
import type { CallStatus, Store } from '../store/index.js';
import type { TwilioRestClient } from './rest-client.js';

/** Clock skew allowed between our intent time and Twilio's date_created. */
const SKEW_MS = 60_000;
const STATUSES: ReadonlySet<string> = new Set(['queued', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']);

/**
 * What became of a dial intent, asked of Twilio after a crash or a lost
 * callback: by CallSid when we have it (from the dialer or our call record),
 * otherwise by listing calls to the number created since the intent.
 */
export class TwilioCallLookup implements OutboundCallLookup, OutboundCallControl {
  constructor(private readonly rest: TwilioRestClient, private readonly store: Store) {}

  async findCall(intent: DialIntent): Promise<ProviderCall | null> {
    const sid = intent.providerCallId ?? (intent.callId ? (await this.store.calls.get(intent.callId))?.providerCallId : null);
    if (sid) {
      const call = await this.rest.calls(sid).fetch();
      return { callId: intent.callId ?? undefined, providerCallId: call.sid, status: toStatus(call.status), answeredBy: call.answeredBy ?? undefined };
    }
    const since = intent.intentAt - SKEW_MS;
    const candidates = await this.rest.calls.list({ to: intent.to, limit: 50 });
    const match = candidates.find(
      (c) => c.dateCreated.getTime() >= since && !intent.earlierProviderCallIds.includes(c.sid),
    );
    if (!match) return null;
    if (intent.callId) await this.store.calls.setProviderCallId(intent.callId, match.sid);
    return { callId: intent.callId ?? undefined, providerCallId: match.sid, status: toStatus(match.status), answeredBy: match.answeredBy ?? undefined };
  }

  async hangup(call: { callId: string | null; providerCallId: string }): Promise<void> {
    const current = await this.rest.calls(call.providerCallId).fetch();
    if (current.status === 'in-progress') await this.rest.calls(call.providerCallId).update({ status: 'completed' });
    else if (current.status === 'queued' || current.status === 'ringing') await this.rest.calls(call.providerCallId).update({ status: 'canceled' });
  }
}

function toStatus(s: string): CallStatus {
  return STATUSES.has(s) ? (s as CallStatus) : 'failed';
}
