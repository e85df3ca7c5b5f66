import type { Kysely } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson } from './json.js';
import {
  FINAL_RECIPIENT_STATUSES,
  RECIPIENT_STATUSES,
  type Database,
  type JsonValue,
  type RecipientRow,
  type RecipientStatus,
} from './schema.js';

export interface Recipient {
  id: number;
  campaignId: string;
  rowNumber: number | null;
  phoneNumber: string;
  variables: Record<string, string | number | boolean>;
  overrides: Record<string, JsonValue> | null;
  timezone: string | null;
  status: RecipientStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastCallId: string | null;
  claimedBy: string | null;
  claimedAt: number | null;
  dialIntentAt: number | null;
  outcome: Record<string, JsonValue> | null;
  updatedAt: number;
}

export type StatusCounts = Record<RecipientStatus, number>;

export interface CampaignProgress {
  total: number;
  /** Not yet reached a final status (pending, dialing, ringing, in progress, retryable outcomes). */
  remaining: number;
  /** In a final status (completed, voicemail, cancelled, skipped, invalid). */
  finished: number;
  /** Currently on the phone or being dialled. */
  active: number;
  /** finished / total, 0..1 (1 for an empty campaign). */
  ratio: number;
  byStatus: StatusCounts;
}

const ACTIVE: readonly RecipientStatus[] = ['dialing', 'ringing', 'in-progress'];

/** Read side of campaign recipients: counts, progress and paging. Claiming comes with the dispatcher. */
export class Recipients {
  private readonly db: Kysely<Database>;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
  }

  async countsByStatus(campaignId: string): Promise<StatusCounts> {
    const rows = await this.db
      .selectFrom('campaign_recipients')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('campaign_id', '=', campaignId)
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /**
   * "Remaining" counts retryable outcomes (no-answer, busy, failed) as not done:
   * whether they are retried is the dispatcher's call (attempts vs max_attempts),
   * which marks them final by moving them on when it gives up.
   */
  async progress(campaignId: string): Promise<CampaignProgress> {
    const byStatus = await this.countsByStatus(campaignId);
    const sum = (statuses: readonly RecipientStatus[]) => statuses.reduce((n, s) => n + byStatus[s], 0);
    const total = sum(RECIPIENT_STATUSES);
    const finished = sum(FINAL_RECIPIENT_STATUSES);
    return { total, remaining: total - finished, finished, active: sum(ACTIVE), ratio: total === 0 ? 1 : finished / total, byStatus };
  }

  async get(id: number): Promise<Recipient | undefined> {
    const row = await this.db.selectFrom('campaign_recipients').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecipient(row);
  }

  async findByPhone(campaignId: string, phoneNumber: string): Promise<Recipient | undefined> {
    const row = await this.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', campaignId)
      .where('phone_number', '=', phoneNumber)
      .executeTakeFirst();
    return row && toRecipient(row);
  }

  /** Keyset paging by id (stable under concurrent inserts, unlike OFFSET). */
  async list(campaignId: string, page: { status?: RecipientStatus[]; afterId?: number; limit?: number } = {}): Promise<Recipient[]> {
    let query = this.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', campaignId)
      .orderBy('id')
      .limit(page.limit ?? 100);
    if (page.afterId !== undefined) query = query.where('id', '>', page.afterId);
    if (page.status?.length) query = query.where('status', 'in', page.status);
    return (await query.execute()).map(toRecipient);
  }
}

export function toRecipient(row: RecipientRow): Recipient {
  return {
    id: Number(row.id),
    campaignId: row.campaign_id,
    rowNumber: row.row_number,
    phoneNumber: row.phone_number,
    variables: fromJson<Record<string, string | number | boolean>>(row.variables) ?? {},
    overrides: fromJson<Record<string, JsonValue>>(row.overrides),
    timezone: row.timezone,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastCallId: row.last_call_id,
    claimedBy: row.claimed_by,
    claimedAt: row.claimed_at,
    dialIntentAt: row.dial_intent_at,
    outcome: fromJson<Record<string, JsonValue>>(row.outcome),
    updatedAt: row.updated_at,
  };
}
