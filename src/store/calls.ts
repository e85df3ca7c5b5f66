import type { Kysely, Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson, toJsonOrNull } from './json.js';
import {
  ACTIVE_CALL_STATUSES,
  type CallDirection,
  type CallProvider,
  type CallRow,
  type CallStatus,
  type Database,
  type JsonValue,
} from './schema.js';

export interface TranscriptTurn {
  role: 'user' | 'agent' | (string & {});
  text: string;
  /** Epoch ms or offset into the call, as the writer chooses; stored verbatim. */
  at?: number;
}

export interface CallRecord {
  id: string;
  direction: CallDirection;
  provider: CallProvider;
  providerCallId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  agentId: string | null;
  status: CallStatus;
  createdAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  transcript: TranscriptTurn[] | null;
  campaignId: string | null;
  recipientId: number | null;
  metadata: Record<string, JsonValue> | null;
  /** When retention deleted the transcript and recording. */
  purgedAt: number | null;
}

export interface NewCall {
  id: string;
  direction: CallDirection;
  provider: CallProvider;
  providerCallId?: string | null;
  fromNumber?: string | null;
  toNumber?: string | null;
  agentId?: string | null;
  status?: CallStatus;
  createdAt?: number;
  campaignId?: string | null;
  recipientId?: number | null;
  metadata?: Record<string, JsonValue> | null;
}

export interface CallEnd {
  status: CallStatus;
  reason: string;
  transcript?: TranscriptTurn[];
  at?: number;
  /** Keys merged into the call's metadata in the same write (conversation id, init data, recording). */
  metadata?: Record<string, JsonValue>;
}

/**
 * Told about every call end. `inTransaction` runs inside the transaction
 * that ends the call (e.g. writes the post-call event to the outbox: both
 * commit or neither does); `afterCommit` once it has committed.
 */
export interface CallEndHook {
  inTransaction(tx: Transaction<Database>, call: CallRecord): Promise<void>;
  afterCommit?(call: CallRecord): void;
}

/** Persistence of individual calls (inbound and outbound, Twilio and SIP). */
export class CallRecords {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;
  private endHook: CallEndHook | undefined;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.now = ctx.now ?? Date.now;
  }

  async insert(call: NewCall): Promise<CallRecord> {
    const row = await this.db
      .insertInto('calls')
      .values({
        id: call.id,
        direction: call.direction,
        provider: call.provider,
        provider_call_id: call.providerCallId ?? null,
        from_number: call.fromNumber ?? null,
        to_number: call.toNumber ?? null,
        agent_id: call.agentId ?? null,
        status: call.status ?? 'queued',
        created_at: call.createdAt ?? this.now(),
        campaign_id: call.campaignId ?? null,
        recipient_id: call.recipientId ?? null,
        metadata: toJsonOrNull(call.metadata),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCallRecord(row);
  }

  /** The CallSid is only known once Twilio's REST create returns. */
  async setProviderCallId(id: string, providerCallId: string): Promise<boolean> {
    const r = await this.db.updateTable('calls').set({ provider_call_id: providerCallId }).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Progress updates never resurrect a call that has already ended. */
  async updateStatus(id: string, status: CallStatus): Promise<boolean> {
    const r = await this.db
      .updateTable('calls')
      .set({ status })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Records the first answer only: later duplicates (retried webhooks) keep the original time. */
  async markAnswered(id: string, at = this.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('calls')
      .set({ status: 'in-progress', answered_at: at })
      .where('id', '=', id)
      .where('answered_at', 'is', null)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** One hook (the bridge's post-call events); set once at start. */
  onEnd(hook: CallEndHook | undefined): void {
    this.endHook = hook;
  }

  /**
   * Ends the call once: a second end (status callback racing the session's own
   * teardown) returns false and leaves the first reason and transcript intact.
   * The end hook runs in the same transaction.
   */
  async end(id: string, end: CallEnd): Promise<boolean> {
    const hook = this.endHook;
    const ended = await this.db.transaction().execute(async (tx) => {
      const patch = end.metadata ? await mergedMetadata(tx, id, end.metadata) : undefined;
      const r = await tx
        .updateTable('calls')
        .set({
          status: end.status,
          end_reason: end.reason,
          ended_at: end.at ?? this.now(),
          ...(end.transcript ? { transcript: JSON.stringify(end.transcript) } : {}),
          ...(patch !== undefined ? { metadata: patch } : {}),
        })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return { ended: false };
      if (!hook) return { ended: true };
      const record = toCallRecord(await tx.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      await hook.inTransaction(tx, record);
      return { ended: true, record };
    });
    if (ended.record) hook?.afterCommit?.(ended.record);
    return ended.ended;
  }

  /**
   * Merges keys into the call's metadata (e.g. a transfer outcome). Read and
   * write run in one transaction so concurrent merges do not lose keys.
   */
  async mergeMetadata(id: string, patch: Record<string, JsonValue>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('calls').select('metadata').where('id', '=', id).executeTakeFirst();
      if (!row) return false;
      const merged = { ...(fromJson<Record<string, JsonValue>>(row.metadata) ?? {}), ...patch };
      await tx.updateTable('calls').set({ metadata: toJsonOrNull(merged) }).where('id', '=', id).execute();
      return true;
    });
  }

  /** Stores the transcript so far without ending the call (a call that is being transferred). */
  async saveTranscript(id: string, transcript: TranscriptTurn[]): Promise<boolean> {
    const r = await this.db.updateTable('calls').set({ transcript: JSON.stringify(transcript) }).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async get(id: string): Promise<CallRecord | undefined> {
    const row = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCallRecord(row);
  }

  async getByProviderCallId(provider: CallProvider, providerCallId: string): Promise<CallRecord | undefined> {
    const row = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('provider', '=', provider)
      .where('provider_call_id', '=', providerCallId)
      .executeTakeFirst();
    return row && toCallRecord(row);
  }

  /**
   * Ended calls, newest first, a page at a time: `before` is the last page's
   * final call (its created_at and id), so pages stay stable while calls are added.
   */
  async listEnded(page: { limit: number; before?: { createdAt: number; id: string } }): Promise<CallRecord[]> {
    let q = this.db.selectFrom('calls').selectAll().where('ended_at', 'is not', null);
    const before = page.before;
    if (before) {
      q = q.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(toCallRecord);
  }

  /** Calls not yet ended, oldest first (e.g. to reconcile after a restart). */
  async listActive(limit = 1000): Promise<CallRecord[]> {
    const rows = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('status', 'in', [...ACTIVE_CALL_STATUSES])
      .where('ended_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toCallRecord);
  }
}

async function mergedMetadata(tx: Transaction<Database>, id: string, patch: Record<string, JsonValue>): Promise<string | null> {
  const row = await tx.selectFrom('calls').select('metadata').where('id', '=', id).executeTakeFirst();
  return toJsonOrNull({ ...(fromJson<Record<string, JsonValue>>(row?.metadata) ?? {}), ...patch });
}

export function toCallRecord(row: CallRow): CallRecord {
  return {
    id: row.id,
    direction: row.direction,
    provider: row.provider,
    providerCallId: row.provider_call_id,
    fromNumber: row.from_number,
    toNumber: row.to_number,
    agentId: row.agent_id,
    status: row.status,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    transcript: fromJson<TranscriptTurn[]>(row.transcript),
    campaignId: row.campaign_id,
    recipientId: row.recipient_id,
    metadata: fromJson<Record<string, JsonValue>>(row.metadata),
    purgedAt: row.purged_at ?? null,
  };
}
