import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import { fromJson } from '../store/json.js';
import type { Database, RecipientRow } from '../store/schema.js';
import type { Clock } from './clock.js';
import { earlierCallIds, type AttemptOutcome, type RecipientLedger } from './ledger.js';
import { ACTIVE_RECIPIENT, isFinalCallStatus } from './outcome-map.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { DialIntent, OutboundCallLookup } from './reconcile-port.js';

export interface ReconcilerOptions {
  db: Kysely<Database>;
  ledger: RecipientLedger;
  recorder: OutcomeRecorder;
  lookup: OutboundCallLookup;
  instanceId: string;
  clock: Clock;
  log: Logger;
  /** Another instance's active row untouched for this long is presumed orphaned and reconciled too. Default 10 min. */
  staleAfterMs?: number;
}

export interface ReconcileReport {
  checked: number;
  /** Never reached the provider: back to pending, attempt not counted. */
  released: number;
  /** The provider's call had ended: its result recorded. */
  finished: number;
  /** Still live at the provider: left active, status updated. */
  live: number;
  errors: number;
}

/**
 * On start (and periodically), settles recipients stuck in an active state:
 * this instance's own (a restart after SIGKILL with the same INSTANCE_ID) at
 * once, other instances' only once stale. Each is looked up at the provider.
 */
export class Reconciler {
  constructor(private readonly o: ReconcilerOptions) {}

  /** `ownBefore`: own rows not updated since then are checked; `busy`: ids this process is dialling right now. */
  async run(opts: { ownBefore?: number; busy?: ReadonlySet<number> } = {}): Promise<ReconcileReport> {
    const report: ReconcileReport = { checked: 0, released: 0, finished: 0, live: 0, errors: 0 };
    for (const row of await this.candidates(opts.ownBefore ?? this.o.clock.now())) {
      if (opts.busy?.has(Number(row.id))) continue;
      report.checked++;
      try {
        report[await this.settle(row)]++;
      } catch (err) {
        report.errors++;
        this.o.log.warn({ err: (err as Error).message, recipientId: row.id }, 'reconcile lookup failed; will try again');
      }
    }
    if (report.checked) this.o.log.info(report, 'reconciled campaign calls');
    return report;
  }

  private async candidates(ownBefore: number): Promise<RecipientRow[]> {
    const staleBefore = this.o.clock.now() - (this.o.staleAfterMs ?? 600_000);
    return this.o.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('status', 'in', [...ACTIVE_RECIPIENT])
      .where((eb) =>
        eb.or([
          eb.and([eb('claimed_by', '=', this.o.instanceId), eb('updated_at', '<', ownBefore)]),
          eb('updated_at', '<', staleBefore),
        ]),
      )
      .orderBy('id')
      .limit(5000)
      .execute();
  }

  private async settle(row: RecipientRow): Promise<'released' | 'finished' | 'live'> {
    const stored = fromJson<AttemptOutcome>(row.outcome) ?? {};
    const intent: DialIntent = {
      campaignId: row.campaign_id,
      recipientId: Number(row.id),
      to: row.phone_number,
      intentAt: row.dial_intent_at ?? row.claimed_at ?? row.updated_at,
      callId: row.last_call_id ?? stored.callId ?? null,
      providerCallId: stored.providerCallId ?? null,
      earlierProviderCallIds: earlierCallIds(stored),
    };
    const call = await this.o.lookup.findCall(intent);
    if (call === null) {
      if (row.status === 'dialing' && row.dial_intent_at !== null && (await this.o.ledger.release(intent.recipientId, row.dial_intent_at))) return 'released';
      // An answered call the provider no longer knows: count the attempt as failed, never redial blindly.
      await this.o.ledger.finish(intent.recipientId, 'failed', { reconciled: 'not-found' });
      await this.o.ledger.completeIfDone(row.campaign_id);
      return 'finished';
    }
    await this.o.recorder.apply({
      callId: call.callId ?? intent.callId ?? '',
      providerCallId: call.providerCallId,
      campaignId: row.campaign_id,
      recipientId: intent.recipientId,
      status: call.status,
      answeredBy: call.answeredBy,
      at: this.o.clock.now(),
    });
    return isFinalCallStatus(call.status) ? 'finished' : 'live';
  }
}
