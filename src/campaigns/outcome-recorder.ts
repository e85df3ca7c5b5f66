import type { CallEvents, CallStatusEvent } from '../calls/call-events.js';
import type { Logger } from '../logger.js';
import type { RecipientStatus } from '../store/schema.js';
import type { AttemptOutcome, RecipientLedger } from './ledger.js';
import { isFinalCallStatus, isMachine, recipientStatusForCall } from './outcome-map.js';

export interface RecipientChange {
  campaignId: string;
  recipientId: number;
  status: RecipientStatus;
}

/**
 * Turns call progress (CallEvents) into recipient statuses: ringing,
 * in-progress, then the attempt's result (AnsweredBy machine_* → voicemail),
 * with automatic retries scheduled by the ledger, and completes the campaign
 * when nothing is left. Events for one recipient are applied one at a time, in
 * arrival order.
 */
export class OutcomeRecorder {
  private readonly chains = new Map<number, Promise<void>>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ledger: RecipientLedger,
    private readonly log: Logger,
    private readonly onChange: (change: RecipientChange) => void = () => {},
  ) {}

  listen(events: CallEvents): void {
    this.unsubscribe = events.on((e) => void this.enqueue(e));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Resolves when every event received so far is written. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  enqueue(event: CallStatusEvent): Promise<void> {
    const { recipientId } = event;
    if (recipientId === null || event.campaignId === null) return Promise.resolve();
    const previous = this.chains.get(recipientId) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(event))
      .catch((err: Error) => this.log.error({ err: err.message, recipientId, status: event.status }, 'recording a call outcome failed'))
      .finally(() => {
        if (this.chains.get(recipientId) === next) this.chains.delete(recipientId);
      });
    this.chains.set(recipientId, next);
    return next;
  }

  /** Applies one event; also used by the reconciler with what the provider reports. */
  async apply(event: CallStatusEvent): Promise<void> {
    const id = event.recipientId!;
    const details: AttemptOutcome = {
      callId: event.callId || undefined,
      providerCallId: event.providerCallId,
      callStatus: event.status,
      answeredBy: event.answeredBy,
      endReason: event.endReason,
    };
    if (event.status === 'ringing' || event.status === 'in-progress') {
      if (await this.ledger.progress(id, event.status, details)) this.changed(event, event.status);
      // Async AMD may report a machine after the call's end was recorded as reached: it was voicemail.
      else if (isMachine(event.answeredBy) && event.callId && (await this.ledger.amendToVoicemail(id, event.callId))) this.changed(event, 'voicemail');
      return;
    }
    if (!isFinalCallStatus(event.status)) return;
    // A refused or unreachable dial is the dispatcher's to settle (final error, or back to pending without an attempt).
    if (event.endReason === 'dial-failed') return;
    const written = await this.ledger.finish(id, (stored) => recipientStatusForCall(event.status, event.answeredBy ?? stored.answeredBy, event.endReason), details);
    if (written === undefined) return;
    this.changed(event, written);
    await this.ledger.completeIfDone(event.campaignId!);
  }

  private changed(event: CallStatusEvent, status: RecipientStatus): void {
    this.onChange({ campaignId: event.campaignId!, recipientId: event.recipientId!, status });
  }
}
