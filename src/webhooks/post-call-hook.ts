import { toCallRecord, type CallEndHook } from '../store/calls.js';
import { enqueueOutboxEvent } from '../store/outbox.js';
import { postCallEvent, type CallEndMetadata } from './post-call-event.js';

export interface PostCallHookOptions {
  publicUrl: string;
  /** Wait this long for ElevenLabs' analysis before sending (0: never wait; needs an API key). */
  analysisWaitMs: number;
  now?: () => number;
}

/**
 * Every call end writes its post-call event to the outbox inside the
 * transaction that ends the call (CallRecords.end): a crash can lose
 * neither, nor keep one without the other.
 */
export function postCallHook(opts: PostCallHookOptions): CallEndHook {
  const now = opts.now ?? Date.now;
  return async (tx, row) => {
    const call = toCallRecord(row);
    const at = now();
    const event = postCallEvent(call, { publicUrl: opts.publicUrl, now: at });
    const conversationId = (call.metadata as CallEndMetadata | null)?.conversationId ?? null;
    const waitForAnalysis = event.type === 'post_call_transcription' && conversationId !== null && opts.analysisWaitMs > 0;
    await enqueueOutboxEvent(tx, {
      callId: call.id, type: event.type, body: JSON.stringify(event),
      conversationId, enrichUntil: waitForAnalysis ? at + opts.analysisWaitMs : null,
    }, at);
  };
}
