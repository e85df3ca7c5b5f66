import type { InviteContext, InviteMiddleware } from '../../sip/signaling/inbound-chain.js';
import { SipError } from '../../sip/signaling/sip-error.js';
import type { Personalizer } from '../personalization/personalizer.js';

/**
 * INVITE chain step: the conversation initiation webhook starts while the
 * phone rings (protocols.md §4.9), keyed by Call-ID; a refused or cancelled
 * INVITE drops it.
 */
export function startPersonalization(personalizer: Personalizer): InviteMiddleware {
  return (ctx) => {
    if (!ctx.agentId) return;
    personalizer.begin(ctx.callId, { caller_id: ctx.callingNumber, agent_id: ctx.agentId, called_number: ctx.calledNumber, call_sid: ctx.callId });
    ctx.cleanups.push(() => personalizer.discard(ctx.callId));
  };
}

/** Before the 200 OK: an agent that refuses unpersonalized calls declines them (RFC 3261 §21.6.2 603). */
export function refuseUnpersonalized(personalizer: Personalizer): (ctx: InviteContext) => Promise<void> {
  return async (ctx) => {
    if (!ctx.agentId || !personalizer.refusesOnFailure(ctx.agentId)) return;
    const result = await personalizer.awaitPrepared(ctx.callId);
    if (result && !result.ok) throw new SipError(603, 'Decline');
  };
}
