import type { CallSession } from '../call/call-session.js';
import type { EndReason } from '../call/end-reason.js';
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
  constructor(private readonly store: Store, private readonly log: Logger, private readonly instanceId: string) {}

  /** A media session started on this instance: inbound calls are recorded now; every call is marked held here. */
  async started(s: CallSession): Promise<void> {
    try {
      if (s.opts.direction === 'inbound' && !s.opts.resumed) {
        await this.store.calls.insert({
          id: s.id, direction: 'inbound', provider: s.leg.kind, providerCallId: s.leg.providerCallId,
          fromNumber: s.opts.from, toNumber: s.opts.to, agentId: s.opts.agentId, status: 'in-progress', createdAt: s.startedAt,
          instanceId: this.instanceId,
        });
      }
      await this.store.calls.attach(s.id, this.instanceId, s.startedAt);
    } catch (err) {
      this.log.error({ callId: s.id, err: (err as Error).message }, 'could not record call start');
    }
  }

  /** A broadcast session started on this instance (its record was written by the dialer). */
  async attached(id: string, at?: number): Promise<void> {
    await this.store.calls.attach(id, this.instanceId, at).catch((err: Error) => this.log.error({ callId: id, err: err.message }, 'could not record call start'));
  }

  /** An inbound SIP call that rings while its agent gets ready (answered later, or never). */
  async ringing(c: { id: string; provider: 'sip'; from: string; to: string; agentId: string; startedAt: number }): Promise<void> {
    try {
      await this.store.calls.insert({
        id: c.id, direction: 'inbound', provider: c.provider, providerCallId: c.id,
        fromNumber: c.from, toNumber: c.to, agentId: c.agentId, status: 'ringing', createdAt: c.startedAt,
        instanceId: this.instanceId,
      });
    } catch (err) {
      this.log.error({ callId: c.id, err: (err as Error).message }, 'could not record ringing call');
    }
  }

  /** The ringing call was answered: in progress, its media held on this instance. */
  async answered(id: string): Promise<void> {
    await this.store.calls.attach(id, this.instanceId).catch((err: Error) => this.log.error({ callId: id, err: err.message }, 'could not record answer'));
  }

  /** A ringing call that was never answered: the caller gave up (`canceled`) or the bridge refused it (`failed`). */
  async notAnswered(id: string, reason: EndReason): Promise<void> {
    const status = reason === 'caller-cancelled' ? 'canceled' : 'failed';
    await this.store.calls.end(id, { reason, providerStatus: status }).catch((err: Error) => this.log.error({ callId: id, err: err.message }, 'could not record unanswered call'));
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
      } else await this.store.calls.end(s.id, { reason: s.endReason ?? 'error', transcript, at: s.endedAt, metadata });
    } catch (err) {
      this.log.error({ callId: s.id, err: (err as Error).message }, 'could not record call end');
    }
  }

  /** A broadcast call: its outcome (what was heard, keys, opt-out) and its end; `extra`: more metadata (its recording). */
  async broadcastEnded(s: BroadcastSession, outcome: BroadcastOutcome, extra: Record<string, JsonValue> = {}): Promise<void> {
    try {
      await this.store.calls.mergeMetadata(s.id, { broadcastOutcome: outcome as unknown as JsonValue, ...extra });
      if (s.state === 'handed-over' || s.reason === 'transfer') return; // the agent session or the transfer finishes the record
      await this.store.calls.end(s.id, { reason: s.reason });
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
