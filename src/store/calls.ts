import type { Kysely } from 'kysely';
import {
  advanceCallRecord, attachCallRecord, endCallRecord, isSettled, recordAnsweredBy, recordProviderCallId, recordProviderStatus,
  type CallEnd, type CallEndHook,
} from './call-record-machine.js';
import type { StoreContext } from './context.js';
import { fromJson, toJsonOrNull } from './json.js';
import {
    type CallDirection,
  type CallProvider,
  type CallRow,
  type CallState,
  type CallStatus,
  type Database,
  type FinalCallStatus,
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
  /** The record's state machine: queued → ringing → in-progress → ended. */
  state: CallState;
  /** The provider's own final status (Twilio CallStatus), beside our endReason. */
  providerStatus: FinalCallStatus | null;
  answeredBy: string | null;
  /** The bridge instance holding the call's media, if any. */
  instanceId: string | null;
  /** The provider's error code for a refused dial. */
  errorCode: string | null;
  /** When a media session attached (null: none did). */
  mediaAt: number | null;
  createdAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  transcript: TranscriptTurn[] | null;
  campaignId: string | null;
  recipientId: number | null;
  metadata: Record<string, JsonValue> | null;
  /** Media security of a SIP call (null for Twilio, or before it was answered). */
  media: CallMediaSecurity | null;
  /** When retention deleted the transcript and recording. */
  purgedAt: number | null;
}

/** What protected a SIP call: signalling transport, SRTP or not, and the suite. */
export interface CallMediaSecurity {
  transport: string | null;
  srtp: boolean;
  suite: string | null;
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
  /** The instance that owns the call from the start (the dialler, or the one taking an inbound call). */
  instanceId?: string | null;
}

export type { CallEnd, CallEndHook } from './call-record-machine.js';

/** Persistence of individual calls (inbound and outbound, Twilio and SIP). */
export class CallRecords {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;
  private readonly endHooks: CallEndHook[] = [];
  private readonly endListeners = new Set<(ended: CallRecord) => void>();
  private readonly settledListeners = new Set<(settled: CallRecord) => void>();

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.now = ctx.now ?? Date.now;
  }

  /** Told once per call, after the transaction that ended it committed (only the winning end). */
  afterEnd(listener: (ended: CallRecord) => void): () => void {
    this.endListeners.add(listener);
    return () => void this.endListeners.delete(listener);
  }

  /** Told once per call when it is settled: ended and the provider's final status known (or not expected). */
  afterSettled(listener: (settled: CallRecord) => void): () => void {
    this.settledListeners.add(listener);
    return () => void this.settledListeners.delete(listener);
  }

  /** Work that must commit in the same transaction that ends a call (e.g. a webhook outbox). */
  onEnd(hook: CallEndHook): () => void {
    this.endHooks.push(hook);
    return () => void this.endHooks.splice(this.endHooks.indexOf(hook) >>> 0, 1);
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
        state: stateOfStatus(call.status ?? 'queued'),
        instance_id: call.instanceId ?? null,
        created_at: call.createdAt ?? this.now(),
        campaign_id: call.campaignId ?? null,
        recipient_id: call.recipientId ?? null,
        metadata: toJsonOrNull(call.metadata),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCallRecord(row);
  }

  /** The CallSid (REST create result, or the first webhook naming it if that is late): set once. */
  async setProviderCallId(id: string, providerCallId: string): Promise<boolean> {
    return recordProviderCallId(this.db, id, providerCallId);
  }

  /** Progress never moves a record backwards: ringing only from queued, in-progress from queued or ringing. */
  async updateStatus(id: string, status: 'ringing' | 'in-progress', at = this.now()): Promise<boolean> {
    return advanceCallRecord(this.db, id, status, at);
  }

  /** Records the first answer only: later duplicates (retried webhooks) keep the original time. */
  async markAnswered(id: string, at = this.now()): Promise<boolean> {
    return advanceCallRecord(this.db, id, 'in-progress', at);
  }

  /** The media stream started on this instance: in progress, held by `instanceId`. */
  async attach(id: string, instanceId: string, at = this.now()): Promise<boolean> {
    return attachCallRecord(this.db, id, instanceId, at);
  }

  async setProviderStatus(id: string, status: FinalCallStatus): Promise<boolean> {
    const row = await recordProviderStatus(this.db, id, status);
    if (row && isSettled(row)) this.tell(this.settledListeners, toCallRecord(row));
    return row !== undefined;
  }

  async setAnsweredBy(id: string, answeredBy: string): Promise<boolean> {
    return recordAnsweredBy(this.db, id, answeredBy);
  }

  /**
   * Ends the call once: a second end (status callback racing the session's own
   * teardown) returns undefined and leaves the first reason and transcript
   * intact. The winner gets the ended record.
   */
  async finish(id: string, end: CallEnd): Promise<CallRecord | undefined> {
    const row = await endCallRecord(this.db, id, end, this.now(), this.endHooks);
    if (!row) return undefined;
    const ended = toCallRecord(row);
    this.tell(this.endListeners, ended);
    if (isSettled(row)) this.tell(this.settledListeners, ended);
    return ended;
  }

  private tell(listeners: Set<(r: CallRecord) => void>, record: CallRecord): void {
    for (const listener of listeners) listener(record);
  }

  async end(id: string, end: CallEnd): Promise<boolean> {
    return (await this.finish(id, end)) !== undefined;
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

  async setMediaSecurity(id: string, media: CallMediaSecurity): Promise<boolean> {
    const r = await this.db.updateTable('calls')
      .set({ sip_transport: media.transport, srtp: media.srtp ? 1 : 0, srtp_suite: media.suite })
      .where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
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
      .where('state', '<>', 'ended')
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toCallRecord);
  }

  /**
   * Provider ids of our calls to `to` created since `since`, but for the record `exceptId` (a lost
   * create answer must not be taken for one of them).
   */
  async providerCallIdsTo(to: string, since: number, exceptId?: string): Promise<string[]> {
    let q = this.db.selectFrom('calls').select('provider_call_id').where('to_number', '=', to).where('created_at', '>=', since).where('provider_call_id', 'is not', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const rows = await q.execute();
    return rows.map((r) => r.provider_call_id!);
  }

  /** Calls not yet ended that `instanceId` held or dialled (reconcile after its crash). */
  async listOpenOf(instanceId: string, limit = 5000): Promise<CallRecord[]> {
    const rows = await this.db.selectFrom('calls').selectAll().where('instance_id', '=', instanceId).where('state', '<>', 'ended').orderBy('created_at').limit(limit).execute();
    return rows.map(toCallRecord);
  }

  /** Marks a dialled call as this instance's before it is placed, so a crash in between is reconciled by it. */
  async claim(id: string, instanceId: string): Promise<boolean> {
    const r = await this.db.updateTable('calls').set({ instance_id: instanceId }).where('id', '=', id).where('state', '<>', 'ended').executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

function stateOfStatus(status: CallStatus): CallState {
  return status === 'ringing' || status === 'in-progress' || status === 'queued' ? status : 'ended';
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
    state: row.state,
    providerStatus: row.provider_status,
    answeredBy: row.answered_by,
    instanceId: row.instance_id,
    errorCode: row.error_code,
    mediaAt: row.media_at,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    transcript: fromJson<TranscriptTurn[]>(row.transcript),
    campaignId: row.campaign_id,
    recipientId: row.recipient_id,
    metadata: fromJson<Record<string, JsonValue>>(row.metadata),
    media: row.srtp === null || row.srtp === undefined ? null
      : { transport: row.sip_transport ?? null, srtp: Number(row.srtp) === 1, suite: row.srtp_suite ?? null },
    purgedAt: row.purged_at ?? null,
  };
}
