import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { chunks, rowsPerStatement } from './chunk.js';
import type { StoreContext } from './context.js';
import type { Dialect } from './dialect.js';
import { fromJson, toJson, toJsonOrNull } from './json.js';
import type { CampaignRow, CampaignStatus, CampaignType, Database, NewRecipientRow, RecipientStatus } from './schema.js';

/** Dialling rules. Stored as JSON; validated at the HTTP boundary, not here. */
export interface CampaignSettings {
  /** Local calling window, 'HH:MM' 24 h, in the recipient's (else the campaign's) timezone. */
  window?: { start: string; end: string };
  /** IANA zone used for recipients without their own. */
  timezone?: string;
  /** Days allowed, 0 = Sunday … 6 = Saturday. */
  days?: number[];
  maxAttempts?: number;
  retryDelaySeconds?: number;
  amd?: 'off' | 'detect' | 'hangup-on-machine' | 'leave-message';
  /** Fraction of the bridge's concurrent-call limit this campaign may use (0..1]. */
  concurrencyShare?: number;
  [key: string]: unknown;
}

export interface Campaign {
  id: string;
  name: string;
  type: CampaignType;
  agentId: string | null;
  status: CampaignStatus;
  settings: CampaignSettings;
  scheduledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewCampaign {
  id?: string;
  name: string;
  type: CampaignType;
  agentId?: string | null;
  status?: CampaignStatus;
  settings?: CampaignSettings;
  scheduledAt?: number | null;
}

export interface NewRecipient {
  phoneNumber: string;
  rowNumber?: number | null;
  variables?: Readonly<Record<string, string | number | boolean>>;
  /** Conversation overrides, e.g. `{ agent: { language }, tts: { voice_id } }`. */
  overrides?: object | null;
  timezone?: string | null;
  status?: Extract<RecipientStatus, 'pending' | 'skipped-dnc' | 'invalid'>;
  /** First dial not before this time (epoch ms). Null = as soon as the window allows. */
  nextAttemptAt?: number | null;
}

export interface CreateCampaignOptions {
  /** Mark recipients found in do_not_call as 'skipped-dnc' in the same transaction. Default true. */
  applyDoNotCall?: boolean;
}

export interface CreatedCampaign {
  campaign: Campaign;
  recipientCount: number;
  skippedDoNotCall: number;
}

/** Campaign rows and their bulk recipient insert. */
export class Campaigns {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly now: () => number;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.dialect = ctx.dialect;
    this.now = ctx.now ?? Date.now;
  }

  /** Campaign and all recipients in one transaction: a failed import leaves nothing behind. */
  async create(input: NewCampaign, recipients: readonly NewRecipient[], options: CreateCampaignOptions = {}): Promise<CreatedCampaign> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.now();
      const row = await trx.insertInto('campaigns').values(newCampaignRow(input, now)).returningAll().executeTakeFirstOrThrow();
      const recipientCount = await this.insertRecipients(trx, row.id, recipients, now);
      const skippedDoNotCall = options.applyDoNotCall === false ? 0 : await skipDoNotCall(trx, row.id, now);
      return { campaign: toCampaign(row), recipientCount, skippedDoNotCall };
    });
  }

  /** Appends recipients to an existing campaign; a duplicate phone number fails the whole call. */
  async addRecipients(campaignId: string, recipients: readonly NewRecipient[]): Promise<number> {
    return this.db.transaction().execute((trx) => this.insertRecipients(trx, campaignId, recipients, this.now()));
  }

  async get(id: string): Promise<Campaign | undefined> {
    const row = await this.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCampaign(row);
  }

  async list(filter: { status?: CampaignStatus[] } = {}): Promise<Campaign[]> {
    let query = this.db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').orderBy('id');
    if (filter.status?.length) query = query.where('status', 'in', filter.status);
    return (await query.execute()).map(toCampaign);
  }

  /**
   * Compare-and-set status change: with `from`, only moves a campaign that is
   * still in one of those states, so two instances cannot both start it.
   */
  async setStatus(id: string, status: CampaignStatus, from?: readonly CampaignStatus[]): Promise<boolean> {
    let query = this.db.updateTable('campaigns').set({ status, updated_at: this.now() }).where('id', '=', id);
    if (from?.length) query = query.where('status', 'in', [...from]);
    const r = await query.executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async updateSettings(id: string, settings: CampaignSettings): Promise<boolean> {
    const r = await this.db
      .updateTable('campaigns')
      .set({ settings: toJson(settings), updated_at: this.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  private async insertRecipients(
    trx: Transaction<Database>,
    campaignId: string,
    recipients: readonly NewRecipient[],
    now: number,
  ): Promise<number> {
    if (recipients.length === 0) return 0;
    const rows = recipients.map((r) => newRecipientRow(campaignId, r, now));
    const size = rowsPerStatement(this.dialect, Object.keys(rows[0]!).length);
    for (const chunk of chunks(rows, size)) await trx.insertInto('campaign_recipients').values(chunk).execute();
    return rows.length;
  }
}

function newCampaignRow(input: NewCampaign, now: number) {
  return {
    id: input.id ?? randomUUID(),
    name: input.name,
    type: input.type,
    agent_id: input.agentId ?? null,
    status: input.status ?? 'scheduled',
    settings: toJson(input.settings ?? {}),
    scheduled_at: input.scheduledAt ?? null,
    created_at: now,
    updated_at: now,
  };
}

/** Every row has the same keys, so the chunk size computed from the first row holds for all. */
function newRecipientRow(campaignId: string, r: NewRecipient, now: number): NewRecipientRow {
  return {
    campaign_id: campaignId,
    row_number: r.rowNumber ?? null,
    phone_number: r.phoneNumber,
    variables: toJson(r.variables ?? {}),
    overrides: toJsonOrNull(r.overrides),
    timezone: r.timezone ?? null,
    status: r.status ?? 'pending',
    attempts: 0,
    next_attempt_at: r.nextAttemptAt ?? null,
    updated_at: now,
  };
}

async function skipDoNotCall(trx: Transaction<Database>, campaignId: string, now: number): Promise<number> {
  const r = await trx
    .updateTable('campaign_recipients')
    .set({ status: 'skipped-dnc', updated_at: now })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'pending')
    .where('phone_number', 'in', (eb) => eb.selectFrom('do_not_call').select('phone_number'))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export function toCampaign(row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    agentId: row.agent_id,
    status: row.status,
    settings: fromJson<CampaignSettings>(row.settings) ?? {},
    scheduledAt: row.scheduled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
