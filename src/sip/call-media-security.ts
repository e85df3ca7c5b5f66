import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { CallMediaSecurity, Store } from '../store/index.js';

/** What protects an answered SIP call: its signalling transport and SRTP (suite) or plain RTP. */
export function mediaSecurityOf(leg: SipDialogLeg): CallMediaSecurity {
  const srtp = leg.media.srtp;
  return { transport: leg.transport, srtp: srtp !== undefined, suite: srtp?.suite ?? null };
}

/**
 * Log, count and store the media-security facts of a call once it is answered.
 * Plain RTP is logged at info with the setting that allowed it, so every
 * downgrade is visible; key material never appears (the keys print as [redacted]).
 */
export async function recordCallMedia(callId: string, leg: SipDialogLeg, deps: { log: Logger; metrics: Metrics; store: Store }): Promise<void> {
  const facts = mediaSecurityOf(leg);
  deps.metrics.sipCallMedia.inc({ direction: leg.direction, transport: facts.transport ?? 'unknown', media: facts.suite ?? 'rtp' });
  const note = facts.srtp ? 'SRTP media' : 'plain RTP media (unencrypted; set mediaEncryption=required to refuse it)';
  deps.log.info({ callId, transport: facts.transport, srtp: facts.srtp, suite: facts.suite, trunk: leg.trunkId }, note);
  try {
    await deps.store.calls.setMediaSecurity(callId, facts);
  } catch (err) {
    deps.log.error({ callId, err: (err as Error).message }, 'could not record call media security');
  }
}
