import type { BroadcastSettings } from '../../config/index.js';
import { renderTemplate } from '../broadcast/template.js';
import type { Kysely } from 'kysely';
import type { OutboundCallRequest, OutboundDialer } from '../calls/outbound-dialer.js';
import type { Logger } from '../logger.js';
import { toCampaign, type Campaign } from '../store/campaigns.js';
import type { Dialect } from '../store/dialect.js';
import type { Recipient } from '../store/recipients.js';
import type { Database } from '../store/schema.js';
import { claimDue, type ClaimSlice } from './claims.js';
import type { Clock } from './clock.js';
import type { RecipientLedger } from './ledger.js';
import type { OutboundCallControl } from './reconcile-port.js';
import { dialSettingsOf, type DialSettings } from './settings.js';
import { BridgeError } from '../errors.js';
import { isCallable } from './window.js';

export interface DispatcherOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  dialer: OutboundDialer;
  ledger: RecipientLedger;
  clock: Clock;
  log: Logger;
  instanceId: string;
  /** Total concurrent calls (inbound + outbound) the deployment handles: MAX_CONCURRENT_CALLS. */
  maxConcurrentCalls: number;
  /** Share of it campaigns may use together (CAMPAIGN_CONCURRENCY_SHARE, default 0.7). */
  concurrencyShare: number;
  /**
   * The account's dial rate. The dialer paces every REST create through the
   * shared ledger (calls/dial-pacer.ts); the dispatcher only keeps about one
   * second's worth of recipients waiting for a slot.
   */
  callsPerSecond: number;
  /** How long a recipient whose dial could not reach the provider waits before it is tried again (no attempt used). Default 5 s. */
  transientRetryMs?: number;
  /** Inbound calls in progress now (the bridge's registry); they take room from campaigns. */
  activeInbound?: () => number;
  /** Hangs up a call placed after its campaign was cancelled with hang-up. */
  control?: OutboundCallControl;
  /** Pause between ticks when there was nothing to do. Default 250 ms. */
  idleMs?: number;
}

interface ZoneCache {
  at: number;
  zones: (string | null)[];
}

/**
 * One dispatch loop per instance. Each tick: start campaigns whose schedule
 * has come, work out which recipients' local windows are open, claim due
 * recipients atomically within the global concurrency budget and about one
 * second's worth of dials (fair round-robin across running campaigns), then
 * dial them; the dialer spaces them at the account's rate.
 */
export class Dispatcher {
  private readonly zoneCache = new Map<string, ZoneCache>();
  private readonly dialing = new Set<number>();
  private readonly dials = new Set<Promise<void>>();
  private rotation = 0;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly o: DispatcherOptions) {}

  /** Recipients that may wait for a dial slot at once: one second's worth at the account's rate. */
  private get waitingCap(): number {
    return Math.max(1, Math.ceil(this.o.callsPerSecond));
  }

  /** Recipients whose dial() has not returned yet. */
  get inFlight(): ReadonlySet<number> {
    return this.dialing;
  }

  /** Outbound calls campaigns may have at once across all instances. */
  get outboundCap(): number {
    return Math.max(1, Math.floor(this.o.maxConcurrentCalls * this.o.concurrencyShare));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops claiming; waits for dial requests already sent (their calls go on). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.settled();
  }

  async settled(): Promise<void> {
    while (this.dials.size) await Promise.all([...this.dials]);
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'dispatch tick failed');
      }
      const full = this.dialing.size >= this.waitingCap;
      const wait = claimed > 0 || full ? Math.min(50, Math.ceil(1000 / this.o.callsPerSecond)) : this.o.idleMs ?? 250;
      await this.o.clock.sleep(wait, this.abort.signal);
    }
  }

  /** One round: returns how many recipients were claimed (and are being dialled). */
  async tick(): Promise<number> {
    const now = this.o.clock.now();
    await this.activateScheduled(now);
    const campaigns = await this.runningCampaigns();
    const tokens = this.waitingCap - this.dialing.size;
    if (campaigns.length === 0 || tokens <= 0) return 0;
    const slices = this.rotate(await this.slices(campaigns, now));
    const result = await claimDue(this.o.db, this.o.dialect, {
      instanceId: this.o.instanceId,
      now,
      slices,
      room: (active) => Math.min(tokens, this.outboundCap - active, this.o.maxConcurrentCalls - active - (this.o.activeInbound?.() ?? 0)),
    });
    const byId = new Map(campaigns.map((c) => [c.id, c]));
    for (const r of result.claimed) this.track(this.dial(byId.get(r.campaignId)!, r, now));
    if (result.skippedDnc) for (const c of campaigns) await this.o.ledger.completeIfDone(c.id);
    return result.claimed.length;
  }

  private async activateScheduled(now: number): Promise<void> {
    await this.o.db
      .updateTable('campaigns')
      .set({ status: 'running', updated_at: now })
      .where('status', '=', 'scheduled')
      .where((eb) => eb.or([eb('scheduled_at', 'is', null), eb('scheduled_at', '<=', now)]))
      .execute();
  }

  private async runningCampaigns(): Promise<Campaign[]> {
    const rows = await this.o.db.selectFrom('campaigns').selectAll().where('status', '=', 'running').orderBy('created_at').orderBy('id').execute();
    return rows.map(toCampaign);
  }

  /** Fair share: the campaign first in line changes every tick. */
  private rotate<T>(items: T[]): T[] {
    if (items.length === 0) return items;
    const k = this.rotation++ % items.length;
    return [...items.slice(k), ...items.slice(0, k)];
  }

  private async slices(campaigns: Campaign[], now: number): Promise<ClaimSlice[]> {
    const out: ClaimSlice[] = [];
    for (const c of campaigns) {
      const settings = dialSettingsOf(c.settings);
      const zones = await this.pendingZones(c.id, now);
      const open = zones.filter((z): z is string => z !== null && isCallable(now, z, settings));
      const defaultOpen = zones.includes(null) && isCallable(now, settings.timezone, settings);
      if (open.length || defaultOpen) out.push({ campaignId: c.id, zones: open, defaultOpen });
      else if (zones.length === 0) await this.o.ledger.completeIfDone(c.id);
    }
    return out;
  }

  /** Distinct zones of a campaign's pending recipients, cached for a few seconds. */
  private async pendingZones(campaignId: string, now: number): Promise<(string | null)[]> {
    const cached = this.zoneCache.get(campaignId);
    if (cached && now - cached.at < 5000 && now >= cached.at) return cached.zones;
    const rows = await this.o.db
      .selectFrom('campaign_recipients')
      .select('timezone')
      .distinct()
      .where('campaign_id', '=', campaignId)
      .where('status', '=', 'pending')
      .execute();
    const zones = rows.map((r) => r.timezone);
    this.zoneCache.set(campaignId, { at: now, zones });
    return zones;
  }

  private track(p: Promise<void>): void {
    this.dials.add(p);
    void p.finally(() => this.dials.delete(p));
  }

  private async dial(campaign: Campaign, r: Recipient, intentAt: number): Promise<void> {
    this.dialing.add(r.id);
    try {
      const placed = await this.o.dialer.dial(callRequest(campaign, dialSettingsOf(campaign.settings), r));
      await this.o.ledger.dialed(r.id, intentAt, placed);
      await this.hangupIfCancelled(campaign.id, placed);
    } catch (err) {
      await this.dialFailed(campaign.id, r.id, intentAt, err);
    } finally {
      this.dialing.delete(r.id);
    }
  }

  /**
   * Transient (provider unreachable after the dialer's retries): back to
   * pending later, the attempt not counted. Final (refused, e.g. invalid
   * number): the attempt ends `failed` with the provider's code.
   */
  private async dialFailed(campaignId: string, recipientId: number, intentAt: number, err: unknown): Promise<void> {
    const message = (err as Error).message.slice(0, 500);
    const details = err instanceof BridgeError ? err.details ?? {} : {};
    this.o.log.warn({ err: message, campaignId, recipientId }, 'dial failed');
    if (err instanceof BridgeError && err.code === 'dial-transient') {
      await this.o.ledger.requeue(recipientId, intentAt, this.o.transientRetryMs ?? 5000, { error: message, transient: true }).catch(() => undefined);
      return;
    }
    const code = typeof details.providerCode === 'string' ? details.providerCode : undefined;
    await this.o.ledger.finish(recipientId, 'failed', { error: message, ...(code ? { errorCode: code } : {}) }).catch(() => undefined);
    await this.o.ledger.completeIfDone(campaignId).catch(() => undefined);
  }

  /** A cancel with hang-up may have come while the REST request was in flight: end that call too. */
  private async hangupIfCancelled(campaignId: string, placed: { callId: string; providerCallId: string }): Promise<void> {
    const row = await this.o.db.selectFrom('campaigns').select(['status', 'settings']).where('id', '=', campaignId).executeTakeFirst();
    if (row?.status !== 'cancelled' || !this.o.control || !(JSON.parse(row.settings) as { cancelHangup?: boolean }).cancelHangup) return;
    await this.o.control.hangup(placed).catch((err: Error) => this.o.log.warn({ err: err.message, campaignId }, 'hang-up after cancel failed'));
  }
}

/** The dial request for one recipient: variables, overrides, AMD and the machine policy. */
/** The broadcast with this recipient's values in its message and voicemail variant. */
function renderBroadcast(b: BroadcastSettings, vars: Record<string, unknown>): BroadcastSettings {
  return {
    ...b,
    message: renderTemplate(b.message, vars),
    ...(b.voicemail_message ? { voicemail_message: renderTemplate(b.voicemail_message, vars) } : {}),
  };
}

export function callRequest(campaign: Campaign, s: DialSettings, r: Recipient): OutboundCallRequest {
  const request: OutboundCallRequest = {
    to: r.phoneNumber,
    agentId: campaign.agentId ?? '',
    dynamicVariables: r.variables,
    machineDetection: s.machineDetection,
    campaignId: campaign.id,
    recipientId: r.id,
  };
  if (s.from) request.from = s.from;
  if (r.overrides) request.overrides = r.overrides;
  if (s.ringTimeoutSeconds) request.ringTimeoutSeconds = s.ringTimeoutSeconds;
  if (s.broadcast) {
    request.broadcast = renderBroadcast(s.broadcast, r.variables);
    // A voicemail variant is left after the beep: synchronous detection that waits for the greeting's end (§3.3).
    if (s.broadcast.voicemail_message && s.machineDetection === 'off') request.machineDetection = 'detect-message-end';
  }
  // Read by dialers that know config/call-policy; others ignore the extra key.
  const policy: Record<string, unknown> = {};
  if (s.machineDetection !== 'off') policy.answeringMachine = { ...s.machinePolicy };
  if (s.recording) policy.recording = s.recording;
  if (Object.keys(policy).length) (request as OutboundCallRequest & { policy: Record<string, unknown> }).policy = policy;
  return request;
}
