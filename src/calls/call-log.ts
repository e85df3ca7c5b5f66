import type { CallSession } from '../call/call-session.js';
import type { Logger } from '../logger.js';
import type { JsonValue, Store } from '../store/index.js';
import type { BroadcastSession } from '../broadcast/broadcast-session.js';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';

/**
 * Writes every call to the store: inbound calls when their session starts
 * (outbound ones were written by the dialer), every call when it ends, with
 * its reason and transcript. A database problem is logged, never allowed to
 * disturb the call itself.
 */
export class CallLog {
  constructor(private readonly store: Store, private readonly log: Logger) {}

  async started(s: CallSession): Promise<void> {
    if (s.opts.direction !== 'inbound' || s.opts.resumed) return;
    try {
      await this.store.calls.insert({
        id: s.id, direction: 'inbound', provider: s.leg.kind, providerCallId: s.leg.providerCallId,
        fromNumber: s.opts.from, toNumber: s.opts.to, agentId: s.opts.agentId, status: 'in-progress', createdAt: s.startedAt,
      });
      await this.store.calls.markAnswered(s.id, s.startedAt);
    } catch (err) {
      this.log.error({ callId: s.id, err: (err as Error).message }, 'could not record call start');
    }
  }

  /** `extra`: more metadata for the record (e.g. the finished recording). */
  async ended(s: CallSession, extra: Record<string, JsonValue> = {}): Promise<void> {
    try {
      const turns = s.transcript.toJSON().map((t) => ({ role: t.role, text: t.text, at: t.atMs }));
      const metadata = { ...endMetadata(s), ...extra };
      // A call back from a failed transfer continues the transcript of its first part.
      const transcript = s.opts.resumed ? [...((await this.store.calls.get(s.id))?.transcript ?? []), ...turns] : turns;
      // A transferred call is finished by the transfer's outcome (connected, or back to an agent).
      if (s.endReason === 'transfer') {
        await this.store.calls.saveTranscript(s.id, transcript);
        await this.store.calls.mergeMetadata(s.id, metadata);
      } else await this.store.calls.end(s.id, { status: 'completed', reason: s.endReason ?? 'error', transcript, at: s.endedAt, metadata });
    } catch (err) {
      this.log.error({ callId: s.id, err: (err as Error).message }, 'could not record call end');
    }
  }

  /** A broadcast call: its outcome (what was heard, keys, opt-out) and its end. */
  async broadcastEnded(s: BroadcastSession, outcome: BroadcastOutcome): Promise<void> {
    try {
      await this.store.calls.mergeMetadata(s.id, { broadcastOutcome: outcome as unknown as JsonValue });
      if (s.state === 'handed-over' || s.reason === 'transfer') return; // the agent session or the transfer finishes the record
      await this.store.calls.end(s.id, { status: 'completed', reason: s.reason });
    } catch (err) {
      this.log.error({ callId: s.id, err: (err as Error).message }, 'could not record broadcast outcome');
    }
  }
}

/** What the post-call event needs from the session: the conversation and the init data it was started with. */
function endMetadata(s: CallSession): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  if (s.conversationId) out.conversationId = s.conversationId;
  const init = s.agent?.clientData;
  if (init) out.clientData = { dynamicVariables: init.dynamicVariables ?? {}, overrides: (init.overrides ?? {}) as Record<string, JsonValue> };
  return out;
}
