import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from '../store/dialect.js';
import { fromJson } from '../store/json.js';
import type { Database, JsonValue, RecipientRow, RecipientStatus } from '../store/schema.js';
import { ACTIVE_RECIPIENT, nextStep, OPEN_RECIPIENT } from './outcome-map.js';
import { dialSettingsOf } from './settings.js';

/** What the engine keeps about a recipient's latest attempt, in `campaign_recipients.outcome`. */
export interface AttemptOutcome {
  callId?: string;
  providerCallId?: string;
  callStatus?: string;
  answeredBy?: string;
  endReason?: string;
  error?: string;
  /** The last attempt's result when the recipient went back to pending for a retry. */
  lastResult?: string;
  reconciled?: string;
  /** Earlier attempts' outcomes, newest first (nested). */
  previous?: AttemptOutcome;
  [key: string]: JsonValue | AttemptOutcome | undefined;
}

export type Progress = { status: 'ringing' | 'in-progress' };
export type Final = { status: RecipientStatus };

/**
 * Writes recipient transitions with guards, so late, duplicate or reordered
 * provider events never move a recipient backwards: progress only from an
 * active state, a final result only once per attempt. PostgreSQL locks the row
 * (`FOR UPDATE`) for the read-modify-write; SQLite has one writer.
 */
export class RecipientLedger {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly now: () => number,
  ) {}

  /** The provider accepted the call: remember its ids (events of this attempt may have stored them already). */
  async dialed(id: number, intentAt: number, ids: { callId: string; providerCallId: string }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('campaign_recipients')
        .select(['outcome', 'dial_intent_at'])
        .where('id', '=', id)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row || row.dial_intent_at !== intentAt) return;
      const stored = fromJson<AttemptOutcome>(row.outcome) ?? {};
      const outcome = { ...stored, callId: stored.callId ?? ids.callId, providerCallId: stored.providerCallId ?? ids.providerCallId };
      await trx.updateTable('campaign_recipients').set({ last_call_id: ids.callId, outcome: JSON.stringify(outcome), updated_at: this.now() }).where('id', '=', id).execute();
    });
  }

  /** Moves an active recipient to ringing / in-progress, merging call details into the outcome. */
  async progress(id: number, to: Progress['status'], details: AttemptOutcome): Promise<boolean> {
    const from: RecipientStatus[] = to === 'ringing' ? ['dialing'] : ['dialing', 'ringing', 'in-progress'];
    return this.update(id, from, details.callId, () => ({ status: to, details }));
  }

  /**
   * Ends the current attempt with `result`: back to pending for an automatic
   * retry when the settings allow it, else the result stays as the final status.
   * `result` may depend on what earlier events of the attempt stored (AnsweredBy).
   */
  async finish(id: number, result: RecipientStatus | ((stored: AttemptOutcome) => RecipientStatus), details: AttemptOutcome): Promise<RecipientStatus | undefined> {
    let written: RecipientStatus | undefined;
    await this.update(id, [...ACTIVE_RECIPIENT], details.callId, async (row, trx) => {
      if (typeof result === 'function') result = result(fromJson<AttemptOutcome>(row.outcome) ?? {});
      const campaign = await trx.selectFrom('campaigns').select(['status', 'settings']).where('id', '=', row.campaign_id).executeTakeFirst();
      const settings = dialSettingsOf(fromJson(campaign?.settings) ?? {});
      const step = nextStep(result, row.attempts, settings, campaign?.status ?? 'cancelled', this.now());
      written = step.status;
      const more = step.status === 'pending' ? { lastResult: result } : {};
      return { status: step.status, nextAttemptAt: step.nextAttemptAt, details: { ...details, ...more } };
    });
    return written;
  }

  /**
   * A machine answered the attempt recorded as `completed` (the AMD result came
   * after the end): it was voicemail. Only for the same call, only from completed.
   */
  async amendToVoicemail(id: number, callId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('campaign_recipients')
        .select(['outcome'])
        .where('id', '=', id)
        .where('status', '=', 'completed')
        .where('last_call_id', '=', callId)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return false;
      const outcome = { ...(fromJson<AttemptOutcome>(row.outcome) ?? {}), amended: 'machine detected after the end' };
      await trx.updateTable('campaign_recipients').set({ status: 'voicemail', outcome: JSON.stringify(outcome), updated_at: this.now() }).where('id', '=', id).execute();
      return true;
    });
  }

  /**
   * A dial that could not reach the provider (transient errors, retries
   * exhausted): back to pending after `delayMs`, the attempt not counted.
   */
  async requeue(id: number, intentAt: number, delayMs: number, details: AttemptOutcome): Promise<boolean> {
    const r = await this.db
      .updateTable('campaign_recipients')
      .set((eb) => ({
        status: 'pending', attempts: eb('attempts', '-', 1), claimed_by: null, claimed_at: null, dial_intent_at: null,
        next_attempt_at: this.now() + delayMs, outcome: JSON.stringify(details), updated_at: this.now(),
      }))
      .where('id', '=', id)
      .where('status', '=', 'dialing')
      .where('dial_intent_at', '=', intentAt)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** The intent never reached the provider (found on reconcile): undo the claim, attempt not counted. */
  async release(id: number, intentAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable('campaign_recipients')
      .set((eb) => ({ status: 'pending', attempts: eb('attempts', '-', 1), claimed_by: null, claimed_at: null, dial_intent_at: null, updated_at: this.now() }))
      .where('id', '=', id)
      .where('status', '=', 'dialing')
      .where('dial_intent_at', '=', intentAt)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Campaign done when nothing is pending or active: running → completed. */
  async completeIfDone(campaignId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('campaigns')
      .set({ status: 'completed', updated_at: this.now() })
      .where('id', '=', campaignId)
      .where('status', '=', 'running')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('campaign_recipients').select('id').where('campaign_id', '=', campaignId).where('status', 'in', [...OPEN_RECIPIENT]))),
      )
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  private async update(
    id: number,
    from: RecipientStatus[],
    callId: string | undefined,
    decide: (row: RecipientRow, trx: Transaction<Database>) => Promise<Change> | Change,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('campaign_recipients')
        .selectAll()
        .where('id', '=', id)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row || !from.includes(row.status)) return false;
      // An event of an earlier attempt (its call id is not the current one) changes nothing.
      if (callId && row.last_call_id && row.last_call_id !== callId) return false;
      const change = await decide(row, trx);
      const outcome = { ...(fromJson<AttemptOutcome>(row.outcome) ?? {}), ...stripUndefined(change.details) };
      await trx
        .updateTable('campaign_recipients')
        .set({
          status: change.status,
          outcome: JSON.stringify(outcome),
          updated_at: this.now(),
          ...(change.nextAttemptAt !== undefined ? { next_attempt_at: change.nextAttemptAt } : {}),
          ...(change.details.callId ? { last_call_id: change.details.callId } : {}),
        })
        .where('id', '=', id)
        .execute();
      return true;
    });
  }
}

interface Change {
  status: RecipientStatus;
  details: AttemptOutcome;
  nextAttemptAt?: number | null;
}

function stripUndefined(o: AttemptOutcome): AttemptOutcome {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as AttemptOutcome;
}

/** Provider call ids of earlier attempts: a reconcile lookup must not take one of them for the current intent. */
export function earlierCallIds(outcome: AttemptOutcome | null): string[] {
  const ids: string[] = [];
  for (let o = outcome?.previous; o; o = o.previous) if (typeof o.providerCallId === 'string') ids.push(o.providerCallId);
  return ids;
}
