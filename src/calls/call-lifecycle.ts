import { isEndReason } from '../call/end-reason.js';
import type { Logger } from '../logger.js';
import type { CallRecord, FinalCallStatus, JsonValue, Store } from '../store/index.js';
import type { CallEvents } from './call-events.js';

/**
 * Feeds the call record's state machine (store/call-record-machine.ts) from
 * every source and tells the campaign engine what changed. Each method is
 * safe in any order and any number of times: the store decides, in one
 * conditional UPDATE, whether the fact moves the record forward.
 *
 * The final event of a call is published from exactly one place: the store's
 * settled notification (ended, and the provider's final status known), which
 * only the writer that completed both receives.
 */
export class CallLifecycle {
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: { store: Store; events: CallEvents; log: Logger }) {
    this.unsubscribe = deps.store.calls.afterSettled((settled) => this.publishEnd(settled));
  }

  stop(): void {
    this.unsubscribe();
  }

  /** Status callback `ringing` / `in-progress` (answered). */
  async progress(call: CallRecord, status: 'ringing' | 'in-progress', answeredBy?: string): Promise<void> {
    if (answeredBy) await this.deps.store.calls.setAnsweredBy(call.id, answeredBy);
    await this.deps.store.calls.updateStatus(call.id, status);
    // Recipients have their own monotonic ledger: a stale progress event changes nothing there either.
    this.publish(call, status, answeredBy);
  }

  /** Async AMD result: kept on the record (even after the end) and passed on, so a machine counts as voicemail. */
  async answeredBy(call: CallRecord, answeredBy: string): Promise<void> {
    await this.deps.store.calls.setAnsweredBy(call.id, answeredBy);
    this.publish(call, 'in-progress', answeredBy);
  }

  /**
   * The provider's final status. Kept beside the reason; ends the record
   * (`provider-ended`) only when no media session holds it: a held call is
   * ended by its session, whose reason (caller-hangup, agent-ended, …) says more.
   * `metadata` is merged in by that same end (e.g. the final callback's body).
   */
  async providerEnded(call: CallRecord, status: FinalCallStatus, answeredBy?: string, metadata?: Record<string, JsonValue>): Promise<void> {
    if (answeredBy) await this.deps.store.calls.setAnsweredBy(call.id, answeredBy);
    await this.deps.store.calls.setProviderStatus(call.id, status);
    await this.deps.store.calls.finish(call.id, { reason: 'provider-ended', providerStatus: status, unlessHeld: true, metadata });
  }

  private publishEnd(ended: CallRecord): void {
    this.deps.events.emit({
      callId: ended.id,
      providerCallId: ended.providerCallId ?? undefined,
      campaignId: ended.campaignId,
      recipientId: ended.recipientId,
      status: ended.status,
      answeredBy: ended.answeredBy ?? undefined,
      endReason: isEndReason(ended.endReason) ? ended.endReason : 'error',
      at: ended.endedAt ?? Date.now(),
    });
  }

  private publish(call: CallRecord, status: 'ringing' | 'in-progress', answeredBy?: string): void {
    this.deps.events.emit({
      callId: call.id, providerCallId: call.providerCallId ?? undefined, campaignId: call.campaignId, recipientId: call.recipientId,
      status, answeredBy, at: Date.now(),
    });
  }
}
