import { sql, type Kysely, type Transaction } from 'kysely';
import type { EndReason } from '../call/end-reason.js';
import type { CallRow, CallState, Database, FinalCallStatus, JsonValue } from './schema.js';
import { fromJson, toJsonOrNull } from './json.js';

/**
 * The call record's state machine: queued → ringing → in-progress → ended.
 *
 * Every source (REST create result, status callbacks, AMD, media stream
 * start/stop, SIP responses, session end, reconcile after a crash) writes
 * through these functions, in any order. Each is ONE conditional UPDATE
 * (`WHERE state IN (…)`), so it is atomic on SQLite and on PostgreSQL across
 * instances: a later event never moves a record backwards, a duplicate changes
 * nothing, and only one writer ever ends a record.
 */

/** States a record may be in to move to `to` (the states strictly before it). */
export function statesBefore(to: Exclude<CallState, 'queued'>): CallState[] {
  const order: CallState[] = ['queued', 'ringing', 'in-progress', 'ended'];
  return order.slice(0, order.indexOf(to));
}

/** What ends a record. The reason is ours (EndReason); the provider's final status, when known, is kept beside it. */
export interface CallEnd {
  reason: EndReason;
  providerStatus?: FinalCallStatus | null;
  /** Epoch ms; default now. */
  at?: number;
  transcript?: unknown[];
  /** Keys merged into the call's metadata in the same write (conversation id, init data, recording). */
  metadata?: Record<string, JsonValue>;
  /** The provider's error code for a refused dial (Twilio `code`). */
  errorCode?: string | null;
  /**
   * Only end a record no instance holds media for: a provider-side end (final
   * status callback) leaves a held call to its session, whose reason says more.
   */
  unlessHeld?: boolean;
}

/**
 * Runs inside the transaction that ends a call, after the record is ended:
 * the place for work that must commit with the end or not at all (e.g. a
 * post-call webhook outbox row). Throwing rolls the end back.
 */
export type CallEndHook = (trx: Transaction<Database>, ended: CallRow) => Promise<void>;

/** Twilio-vocabulary `status` for a record ended without a provider status. */
function fallbackStatus(reason: EndReason): FinalCallStatus {
  return reason === 'api-hangup' ? 'canceled' : 'failed';
}

/**
 * The one end transition: `state <> 'ended'` → `ended`, with reason, time,
 * provider status and error code written once. Returns the ended row to the
 * single caller that won, undefined to every other (already ended, unknown
 * id, or held when `unlessHeld`). Hooks run in the same transaction.
 */
export async function endCallRecord(db: Kysely<Database>, id: string, end: CallEnd, at: number, hooks: readonly CallEndHook[] = []): Promise<CallRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const ps = end.providerStatus ?? null;
    const metadata = end.metadata ? await mergedMetadata(trx, id, end.metadata) : undefined;
    const row = await trx
      .updateTable('calls')
      .set({
        state: 'ended',
        ended_at: end.at ?? at,
        end_reason: end.reason,
        // A provider status recorded earlier (callback before stream stop) wins over one guessed now.
        provider_status: sql<FinalCallStatus | null>`coalesce(provider_status, ${ps})`,
        status: sql<FinalCallStatus>`coalesce(provider_status, ${ps}, case when answered_at is not null then 'completed' else ${fallbackStatus(end.reason)} end)`,
        error_code: sql<string | null>`coalesce(error_code, ${end.errorCode ?? null})`,
        ...(end.transcript ? { transcript: JSON.stringify(end.transcript) } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      })
      .where('id', '=', id)
      .where('state', '<>', 'ended')
      .$if(end.unlessHeld === true, (q) => q.where('media_at', 'is', null))
      .returningAll()
      .executeTakeFirst();
    if (row) for (const hook of hooks) await hook(trx, row);
    return row;
  });
}

/** The call's metadata with `patch` merged in, read inside the transaction that writes it (no key lost to a concurrent merge). */
export async function mergedMetadata(trx: Transaction<Database>, id: string, patch: Record<string, JsonValue>): Promise<string | null> {
  const row = await trx.selectFrom('calls').select('metadata').where('id', '=', id).executeTakeFirst();
  return toJsonOrNull({ ...(fromJson<Record<string, JsonValue>>(row?.metadata) ?? {}), ...patch });
}

/** queued → ringing, or → in-progress (answered; first answer time kept). */
export async function advanceCallRecord(db: Kysely<Database>, id: string, to: 'ringing' | 'in-progress', at: number): Promise<boolean> {
  const r = await db
    .updateTable('calls')
    .set({
      state: to,
      status: to,
      ...(to === 'in-progress' ? { answered_at: sql<number>`coalesce(answered_at, ${at})` } : {}),
    })
    .where('id', '=', id)
    .where('state', 'in', statesBefore(to))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** The media stream started on `instanceId`: the record is in progress and held there. */
export async function attachCallRecord(db: Kysely<Database>, id: string, instanceId: string, at: number): Promise<boolean> {
  const r = await db
    .updateTable('calls')
    .set({ instance_id: instanceId, media_at: at, state: 'in-progress', status: 'in-progress', answered_at: sql<number>`coalesce(answered_at, ${at})` })
    .where('id', '=', id)
    .where('state', '<>', 'ended')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** The provider's final status, kept beside our end reason (set once; allowed after the end). Returns the row if it changed. */
export async function recordProviderStatus(db: Kysely<Database>, id: string, status: FinalCallStatus): Promise<CallRow | undefined> {
  return db
    .updateTable('calls')
    .set({ provider_status: status, status: sql<FinalCallStatus>`case when state = 'ended' then ${status} else status end` })
    .where('id', '=', id)
    .where('provider_status', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Settled: ended, and the provider has said its last word (or never will: SIP
 * calls we terminate ourselves, dials that never got a CallSid). The end and
 * the provider's final status are two conditional UPDATEs on one row, so they
 * serialise on it and exactly one of them sees both: that one settles it.
 * Campaign outcomes wait for this, so a recipient is not freed (and its
 * concurrency slot reused) while the provider still counts the call.
 */
export function isSettled(row: CallRow): boolean {
  return row.state === 'ended' && (row.provider_status !== null || row.provider !== 'twilio' || row.provider_call_id === null);
}

/** The answering-machine result (set once; async AMD may arrive after the end). */
export async function recordAnsweredBy(db: Kysely<Database>, id: string, answeredBy: string): Promise<boolean> {
  const r = await db.updateTable('calls').set({ answered_by: answeredBy }).where('id', '=', id).where('answered_by', 'is', null).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** The CallSid: from the REST create result or, if that is late, the first webhook that names it. */
export async function recordProviderCallId(db: Kysely<Database>, id: string, providerCallId: string): Promise<boolean> {
  const r = await db
    .updateTable('calls')
    .set({ provider_call_id: providerCallId })
    .where('id', '=', id)
    .where('provider_call_id', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
