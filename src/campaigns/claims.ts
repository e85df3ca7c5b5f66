import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from '../store/dialect.js';
import { toRecipient, type Recipient } from '../store/recipients.js';
import type { Database } from '../store/schema.js';
import { ACTIVE_RECIPIENT } from './outcome-map.js';

/** One campaign's share of a claim: which local zones are inside the window now. */
export interface ClaimSlice {
  campaignId: string;
  /** Recipient zones open now. */
  zones: string[];
  /** Whether recipients without a zone (campaign default) are open now. */
  defaultOpen: boolean;
}

export interface ClaimRequest {
  instanceId: string;
  now: number;
  /** Campaigns in fair-share order (the dispatcher rotates it each tick). */
  slices: ClaimSlice[];
  /** Given the outbound calls active across ALL instances, how many more may start. */
  room(activeOutbound: number): number;
}

export interface ClaimResult {
  claimed: Recipient[];
  /** Claimed rows found on the do-not-call list and skipped instead. */
  skippedDnc: number;
  activeBefore: number;
}

/** Serialises claims across instances on PostgreSQL; key = 'camp'. */
const CLAIM_LOCK_KEY = 0x63616d70;

/**
 * The claim step, atomic across processes: count active outbound calls, work
 * out the room left, take due pending rows fairly across campaigns, and mark
 * them `dialing` with this instance's id and the dial intent time, all in one
 * transaction. PostgreSQL: a transaction-scoped advisory lock makes count and
 * claim one step for every instance (so the concurrency cap holds globally),
 * and `FOR UPDATE SKIP LOCKED` keeps a row from being taken twice even by a
 * writer that bypasses the lock. SQLite: one writer at a time.
 */
export async function claimDue(db: Kysely<Database>, dialect: Dialect, req: ClaimRequest): Promise<ClaimResult> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`.execute(trx);
    const activeBefore = await countActive(trx);
    let room = Math.max(0, req.room(activeBefore));
    const claimed: Recipient[] = [];
    let hungry = req.slices.filter((s) => s.defaultOpen || s.zones.length > 0);
    while (room > 0 && hungry.length > 0) {
      const next: ClaimSlice[] = [];
      for (const [i, slice] of hungry.entries()) {
        const want = Math.min(room, Math.ceil(room / (hungry.length - i)));
        if (want <= 0) break;
        const rows = await claimSlice(trx, dialect, slice, want, req);
        claimed.push(...rows);
        room -= rows.length;
        if (rows.length === want) next.push(slice);
      }
      hungry = next;
    }
    const skippedDnc = await skipListed(trx, claimed, req.now);
    const skippedIds = new Set(skippedDnc);
    return { claimed: claimed.filter((r) => !skippedIds.has(r.id)), skippedDnc: skippedIds.size, activeBefore };
  });
}

export async function countActive(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', [...ACTIVE_RECIPIENT])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function claimSlice(trx: Transaction<Database>, dialect: Dialect, slice: ClaimSlice, limit: number, req: ClaimRequest): Promise<Recipient[]> {
  const due = trx
    .selectFrom('campaign_recipients')
    .select('id')
    .where('campaign_id', '=', slice.campaignId)
    // Checked in the claim's transaction, not only when the dispatcher listed running campaigns: a
    // cancel or pause that lands in between must not let this round dial its recipients.
    .where('campaign_id', 'in', trx.selectFrom('campaigns').select('id').where('id', '=', slice.campaignId).where('status', '=', 'running'))
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', req.now)]))
    .where((eb) => {
      const open = [];
      if (slice.zones.length) open.push(eb('timezone', 'in', slice.zones));
      if (slice.defaultOpen) open.push(eb('timezone', 'is', null));
      return eb.or(open);
    })
    .orderBy('id')
    .limit(limit)
    .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
  const rows = await trx
    .updateTable('campaign_recipients')
    .set((eb) => ({
      status: 'dialing',
      attempts: eb('attempts', '+', 1),
      claimed_by: req.instanceId,
      claimed_at: req.now,
      dial_intent_at: req.now,
      last_call_id: null,
      // The previous attempt's details move under "previous" (plain text concat: same SQL on both engines).
      outcome: sql<string | null>`case when outcome is null then null else '{"previous":' || outcome || '}' end`,
      next_attempt_at: null,
      updated_at: req.now,
    }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
  return rows.map(toRecipient).sort((a, b) => a.id - b.id);
}

/** Do-not-call re-check at dial time: the list may have grown since the campaign was created. */
async function skipListed(trx: Transaction<Database>, claimed: Recipient[], now: number): Promise<number[]> {
  if (claimed.length === 0) return [];
  const numbers = [...new Set(claimed.map((r) => r.phoneNumber))];
  const listed = await trx.selectFrom('do_not_call').select('phone_number').where('phone_number', 'in', numbers).execute();
  if (listed.length === 0) return [];
  const set = new Set(listed.map((r) => r.phone_number));
  const ids = claimed.filter((r) => set.has(r.phoneNumber)).map((r) => r.id);
  await trx
    .updateTable('campaign_recipients')
    .set((eb) => ({ status: 'skipped-dnc', attempts: eb('attempts', '-', 1), dial_intent_at: null, claimed_by: null, updated_at: now }))
    .where('id', 'in', ids)
    .execute();
  return ids;
}
