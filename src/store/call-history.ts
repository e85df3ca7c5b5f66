import type { Kysely } from 'kysely';
import { toCallRecord, type CallRecord } from './calls.js';
import type { StoreContext } from './context.js';
import type { CallDirection, CallStatus, Database } from './schema.js';

export interface CallFilter {
  campaignId?: string;
  status?: CallStatus[];
  direction?: CallDirection;
  /** Either party's number. */
  number?: string;
  /** Created at or after / before (epoch ms). */
  since?: number;
  until?: number;
  limit?: number;
  /** From a previous page's `next`: calls before this one. */
  before?: { createdAt: number; id: string };
}

export interface CallPage {
  calls: CallRecord[];
  /** `<created_at>.<id>` of the last call when there may be more. */
  next: string | null;
}

/** Stored calls as a history: filtered, newest first, paged by cursor; and retention. */
export class CallHistory {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.now = ctx.now ?? Date.now;
  }

  /**
   * Ended calls. Keyset pagination on (created_at, id): a page never repeats or skips a
   * call when new calls arrive meanwhile, unlike OFFSET.
   */
  async list(f: CallFilter): Promise<CallPage> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    let q = this.db.selectFrom('calls').selectAll().where('ended_at', 'is not', null);
    if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
    if (f.status?.length) q = q.where('status', 'in', f.status);
    if (f.direction) q = q.where('direction', '=', f.direction);
    if (f.number) q = q.where((eb) => eb.or([eb('from_number', '=', f.number!), eb('to_number', '=', f.number!)]));
    if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('created_at', '<', f.until);
    const after = f.before;
    if (after) {
      q = q.where((eb) => eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
      ]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const calls = rows.slice(0, limit).map(toCallRecord);
    const last = calls[calls.length - 1];
    return { calls, next: rows.length > limit && last ? `${last.createdAt}.${last.id}` : null };
  }

  /**
   * Retention: forgets the transcripts of calls ended before `cutoff` (their
   * metadata stays) and returns their ids, for the recordings to be deleted.
   */
  async purgeContentBefore(cutoff: number, batch = 500): Promise<string[]> {
    const rows = await this.db.selectFrom('calls').select('id')
      .where('ended_at', '<', cutoff).where('purged_at', 'is', null)
      .orderBy('ended_at').limit(batch).execute();
    const ids = rows.map((r) => r.id);
    if (ids.length) await this.db.updateTable('calls').set({ transcript: null, purged_at: this.now() }).where('id', 'in', ids).execute();
    return ids;
  }
}

