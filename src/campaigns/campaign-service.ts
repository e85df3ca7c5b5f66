import type { Kysely } from 'kysely';
import type { ImportResult } from './import/index.js';
import type { Logger } from '../logger.js';
import type { Campaign, DoNotCallEntry, NewRecipient, Recipient, Store } from '../store/index.js';
import type { CampaignStatus, Database, RecipientStatus } from '../store/schema.js';
import type { Clock } from './clock.js';
import { CampaignError, notFound } from './errors.js';
import { ACTIVE_RECIPIENT } from './outcome-map.js';
import type { OutboundCallControl } from './reconcile-port.js';
import { DEFAULT_MANUAL_RETRY, storedSettings, type DialSettings } from './settings.js';
import { campaignView, type CampaignView } from './view.js';

export interface NewCampaignInput {
  name: string;
  /** Default `agent`. */
  type?: 'agent' | 'broadcast';
  /** Required for agent campaigns (checked by the API). */
  agentId: string | null;
  settings: DialSettings;
  /** Epoch ms; null/undefined = start now. */
  scheduledAt?: number | null;
}

export interface CreateReport {
  campaign: CampaignView;
  accepted: number;
  skippedDnc: number;
}

/**
 * Campaign lifecycle on top of the store: create (from an import or JSON),
 * status with counts and progress, cancel, retry, pause, resume, and the
 * do-not-call list. Transitions are compare-and-set, so concurrent requests
 * and several instances agree on the outcome.
 */
export class CampaignService {
  private readonly db: Kysely<Database>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly control?: OutboundCallControl,
  ) {
    this.db = store.database.db;
  }

  async create(input: NewCampaignInput, recipients: ImportResult['recipients'] | NewRecipient[]): Promise<CreateReport> {
    const now = this.clock.now();
    const scheduledAt = input.scheduledAt && input.scheduledAt > now ? input.scheduledAt : null;
    const created = await this.store.campaigns.create(
      { name: input.name, type: input.type ?? 'agent', agentId: input.agentId, status: scheduledAt ? 'scheduled' : 'running', settings: storedSettings(input.settings), scheduledAt },
      recipients.map((r) => ({ phoneNumber: r.phoneNumber, rowNumber: r.rowNumber, variables: r.variables, overrides: r.overrides ?? null, timezone: r.timezone ?? null })),
    );
    this.log.info({ campaignId: created.campaign.id, recipients: created.recipientCount, skippedDnc: created.skippedDoNotCall }, 'campaign created');
    return { campaign: await this.status(created.campaign.id), accepted: created.recipientCount, skippedDnc: created.skippedDoNotCall };
  }

  async list(status?: CampaignStatus[]): Promise<CampaignView[]> {
    const campaigns = await this.store.campaigns.list({ status });
    return Promise.all(campaigns.map(async (c) => campaignView(c, await this.store.recipients.countsByStatus(c.id))));
  }

  async status(id: string): Promise<CampaignView> {
    const campaign = await this.get(id);
    return campaignView(campaign, await this.store.recipients.countsByStatus(id));
  }

  async recipients(id: string, page: { status?: RecipientStatus[]; afterId?: number; limit?: number }): Promise<Recipient[]> {
    await this.get(id);
    return this.store.recipients.list(id, page);
  }

  /** Pending recipients become `cancelled` at once; active calls finish, or are hung up when `hangup`. */
  async cancel(id: string, opts: { hangup?: boolean } = {}): Promise<CampaignView> {
    if (opts.hangup) {
      if (!this.control) throw new CampaignError('hangup_unavailable', 'this bridge cannot hang up calls (no call control configured)', 409, 'hangup');
      // Read by dispatchers whose REST request is still in flight: they hang up what it placed.
      const campaign = await this.get(id);
      await this.store.campaigns.updateSettings(id, { ...campaign.settings, cancelHangup: true });
    }
    await this.transition(id, 'cancelled', ['scheduled', 'running', 'paused']);
    await this.db
      .updateTable('campaign_recipients')
      .set({ status: 'cancelled', updated_at: this.clock.now() })
      .where('campaign_id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    if (opts.hangup) await this.hangupActive(id);
    return this.status(id);
  }

  /** Recipients in `statuses` (default no-answer, busy, failed, voicemail) go back to pending; attempts are kept. */
  async retry(id: string, statuses: readonly RecipientStatus[] = DEFAULT_MANUAL_RETRY): Promise<{ campaign: CampaignView; requeued: number }> {
    const campaign = await this.get(id);
    if (campaign.status === 'cancelled') throw new CampaignError('campaign_cancelled', 'a cancelled campaign cannot be retried', 409);
    const r = await this.db
      .updateTable('campaign_recipients')
      .set({ status: 'pending', next_attempt_at: null, updated_at: this.clock.now() })
      .where('campaign_id', '=', id)
      .where('status', 'in', [...statuses])
      .executeTakeFirst();
    const requeued = Number(r.numUpdatedRows);
    if (requeued > 0) await this.store.campaigns.setStatus(id, 'running', ['completed']);
    return { campaign: await this.status(id), requeued };
  }

  async pause(id: string): Promise<CampaignView> {
    await this.transition(id, 'paused', ['running', 'scheduled']);
    return this.status(id);
  }

  /** Back to running (the dispatcher still waits for a future schedule: scheduled_at is kept). */
  async resume(id: string): Promise<CampaignView> {
    const campaign = await this.get(id);
    const target = campaign.scheduledAt && campaign.scheduledAt > this.clock.now() ? 'scheduled' : 'running';
    await this.transition(id, target, ['paused']);
    return this.status(id);
  }

  addDoNotCall(numbers: readonly string[], reason: string | null): Promise<number> {
    return this.store.doNotCall.addMany(numbers.map((phoneNumber) => ({ phoneNumber, reason })));
  }

  removeDoNotCall(phoneNumber: string): Promise<boolean> {
    return this.store.doNotCall.remove(phoneNumber);
  }

  /** Which of these numbers are on the do-not-call list (an import preview). */
  doNotCallAmong(phoneNumbers: readonly string[]): Promise<Set<string>> {
    return this.store.doNotCall.listed(phoneNumbers);
  }

  listDoNotCall(page: { after?: string; limit?: number }): Promise<DoNotCallEntry[]> {
    return this.store.doNotCall.list(page);
  }

  private async get(id: string): Promise<Campaign> {
    const campaign = await this.store.campaigns.get(id);
    if (!campaign) throw notFound('campaign', id);
    return campaign;
  }

  private async transition(id: string, to: CampaignStatus, from: CampaignStatus[]): Promise<void> {
    if (await this.store.campaigns.setStatus(id, to, from)) return;
    const campaign = await this.get(id);
    if (campaign.status === to) return;
    throw new CampaignError('invalid_state', `campaign is ${campaign.status}; cannot become ${to}`, 409);
  }

  private async hangupActive(id: string): Promise<void> {
    const active = await this.store.recipients.list(id, { status: [...ACTIVE_RECIPIENT], limit: 10_000 });
    await Promise.all(
      active.map(async (r) => {
        const providerCallId = typeof r.outcome?.providerCallId === 'string' ? r.outcome.providerCallId : null;
        if (!providerCallId) return;
        await this.control!.hangup({ callId: r.lastCallId, providerCallId }).catch((err: Error) =>
          this.log.warn({ err: err.message, recipientId: r.id }, 'hang-up on cancel failed'),
        );
      }),
    );
  }
}
