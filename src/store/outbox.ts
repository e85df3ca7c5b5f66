import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction, type Updateable } from 'kysely';
import type { StoreContext } from './context.js';
import type { Dialect } from './dialect.js';
import type { Database, OutboxRow, OutboxStatus, WebhookOutboxTable } from './schema.js';

export interface NewOutboxEvent {
  callId: string;
  type: string;
  /** The JSON body, serialised once: what is signed and sent. */
  body: string;
  /** Wait for ElevenLabs' analysis of this conversation until this time (epoch ms). */
  enrichUntil?: number | null;
  conversationId?: string | null;
}

export interface OutboxEvent {
  seq: number;
  eventId: string;
  callId: string;
  type: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  lastError: string | null;
  lastStatus: number | null;
  enrichUntil: number | null;
  conversationId: string | null;
}

/**
 * Writes an event in the caller's transaction (the one that ends the call),
 * so an ended call without its event, or an event for a call that did not
 * end, can never be stored.
 */
export async function enqueueOutboxEvent(tx: Kysely<Database> | Transaction<Database>, event: NewOutboxEvent, now: number): Promise<string> {
  const eventId = randomUUID();
  await tx.insertInto('webhook_outbox').values({
    event_id: eventId, call_id: event.callId, type: event.type, body: event.body, status: 'pending', attempts: 0,
    created_at: now, next_attempt_at: now, enrich_until: event.enrichUntil ?? null, conversation_id: event.conversationId ?? null,
  }).execute();
  return eventId;
}

/**
 * The outbox of post-call events. Rows are leased to one instance at a time
 * (`lease_owner` until `lease_until`): an instance killed mid-send leaves a
 * lease that expires, and another instance takes the row over.
 */
export class WebhookOutbox {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly now: () => number;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.dialect = ctx.dialect;
    this.now = ctx.now ?? Date.now;
  }

  /**
   * Leases up to `limit` due events. Per call only the earliest undelivered
   * event is due, so a call's events go out in order. PostgreSQL: `FOR UPDATE
   * SKIP LOCKED` lets concurrent instances claim disjoint rows without waiting;
   * SQLite has one writer at a time.
   */
  async claim(owner: string, leaseMs: number, limit: number): Promise<OutboxEvent[]> {
    const now = this.now();
    return this.db.transaction().execute(async (tx) => {
      const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const due = await sql<{ seq: number }>`
        select o.seq from webhook_outbox o
        where o.status = 'pending' and o.next_attempt_at <= ${now}
          and (o.lease_until is null or o.lease_until <= ${now})
          and not exists (select 1 from webhook_outbox e where e.call_id = o.call_id and e.status = 'pending' and e.seq < o.seq)
        order by o.seq limit ${limit} ${lock}`.execute(tx);
      const seqs = due.rows.map((r) => Number(r.seq));
      if (seqs.length === 0) return [];
      const rows = await tx.updateTable('webhook_outbox')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('seq', 'in', seqs)
        .returningAll()
        .execute();
      return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
    });
  }

  /** 2xx: done. Only the lease holder may settle a row. */
  async delivered(seq: number, owner: string, status: number): Promise<boolean> {
    const now = this.now();
    return this.settle(seq, owner, { status: 'delivered', delivered_at: now, last_status: status, last_error: null, attempts: sql<number>`attempts + 1` });
  }

  /** A failed attempt: try again at `nextAt`. */
  async retryAt(seq: number, owner: string, nextAt: number, error: string, status: number | null): Promise<boolean> {
    return this.settle(seq, owner, { next_attempt_at: nextAt, last_error: error, last_status: status, attempts: sql<number>`attempts + 1` });
  }

  /** Given up (410 Gone, or older than the maximum age). */
  async failed(seq: number, owner: string, error: string, status: number | null, attempted: boolean): Promise<boolean> {
    return this.settle(seq, owner, { status: 'failed', last_error: error, last_status: status, ...(attempted ? { attempts: sql<number>`attempts + 1` } : {}) });
  }

  /** Not sent yet (analysis still running): release and come back at `nextAt`, optionally with a new body. */
  async postpone(seq: number, owner: string, nextAt: number, patch: { body?: string; enrichUntil?: number | null }): Promise<boolean> {
    return this.settle(seq, owner, {
      next_attempt_at: nextAt,
      ...(patch.body !== undefined ? { body: patch.body } : {}),
      ...(patch.enrichUntil !== undefined ? { enrich_until: patch.enrichUntil } : {}),
    });
  }

  /** A restarted instance gives up the leases its previous life held. */
  async releaseLeases(owner: string): Promise<number> {
    const r = await this.db.updateTable('webhook_outbox').set({ lease_owner: null, lease_until: null })
      .where('lease_owner', '=', owner).where('status', '=', 'pending').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Retention: delivered or failed events created before `cutoff` (their bodies hold transcripts). */
  async deleteSettledBefore(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('webhook_outbox').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const row = await this.db.selectFrom('webhook_outbox').selectAll().where('event_id', '=', eventId).executeTakeFirst();
    return row && toEvent(row);
  }

  /** Pending and failed events (GET /webhooks/deliveries), oldest first. */
  async list(opts: { status?: OutboxStatus[]; callId?: string; limit?: number } = {}): Promise<OutboxEvent[]> {
    let q = this.db.selectFrom('webhook_outbox').selectAll().where('status', 'in', opts.status ?? ['pending', 'failed']);
    if (opts.callId) q = q.where('call_id', '=', opts.callId);
    const rows = await q.orderBy('seq').limit(opts.limit ?? 100).execute();
    return rows.map(toEvent);
  }

  /** Outbox depth by status (for /metrics). */
  async counts(): Promise<Record<OutboxStatus, number>> {
    const rows = await this.db.selectFrom('webhook_outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const out: Record<OutboxStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  private async settle(seq: number, owner: string, set: OutboxSet): Promise<boolean> {
    const r = await this.db.updateTable('webhook_outbox')
      .set({ ...set, lease_owner: null, lease_until: null })
      .where('seq', '=', seq)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

type OutboxSet = Omit<Updateable<WebhookOutboxTable>, 'attempts'> & { attempts?: RawBuilder<number> };

function toEvent(row: OutboxRow): OutboxEvent {
  return {
    seq: Number(row.seq), eventId: row.event_id, callId: row.call_id, type: row.type, body: row.body, status: row.status,
    attempts: row.attempts, createdAt: row.created_at, nextAttemptAt: row.next_attempt_at, deliveredAt: row.delivered_at,
    lastError: row.last_error, lastStatus: row.last_status, enrichUntil: row.enrich_until, conversationId: row.conversation_id,
  };
}
