import type { Response, Router } from 'express';
import express from 'express';
import type { CallRegistry } from '../call/call-registry.js';
import { CallSession } from '../call/call-session.js';
import type { LiveCall } from '../call/live-call.js';
import type { CallEvents } from '../calls/call-events.js';
import type { CampaignService } from '../campaigns/campaign-service.js';
import type { Logger } from '../logger.js';
import { sendError } from './errors.js';

export interface EventStreamDeps {
  registry: CallRegistry;
  callEvents: CallEvents;
  /** Undefined until the campaign engine has started. */
  campaigns: () => CampaignService | undefined;
  log: Logger;
  /** Most concurrent subscribers (default 50). */
  maxClients?: number;
  /** How often states without an event of their own (call state, campaign status) are compared (default 1000 ms). */
  checkIntervalMs?: number;
}

const FINAL_CAMPAIGN = new Set(['completed', 'cancelled']);
const HEARTBEAT_MS = 15_000;

/**
 * `GET /events`: Server-Sent Events of live call and campaign changes, for the
 * dashboard (and any API client). Events: `calls` (the live calls, once on
 * connect), `call` (a live call's view), `call-ended` ({ id }), `transcript`
 * ({ id, transcript }), `campaign` (a campaign's view with counts and progress).
 *
 * Transcripts, calls joining and leaving and provider progress push at once.
 * A call's state and a campaign's status have no event of their own, so they
 * are compared once a second, and only while someone is listening.
 */
export class EventStream {
  private readonly clients = new Set<Response>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly perCall = new Map<string, { state: string; stop: () => void }>();
  private readonly campaignSeen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly deps: EventStreamDeps) {}

  router(): Router {
    const r = express.Router();
    r.get('/events', (req, res) => {
      if (this.clients.size >= (this.deps.maxClients ?? 50)) return sendError(res, 503, 'too-many-subscribers', 'too many event stream subscribers');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      // Browsers reconnect after this long if the stream drops (EventSource's `retry`).
      res.write('retry: 2000\n\n');
      this.add(res);
      req.on('close', () => this.remove(res));
    });
    return r;
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stop();
  }

  private add(res: Response): void {
    this.clients.add(res);
    if (this.clients.size === 1) this.start();
    this.send('calls', { calls: this.deps.registry.list().map((c) => c.describe(false)) }, res);
  }

  private remove(res: Response): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    const { registry, callEvents } = this.deps;
    for (const call of registry.list()) this.follow(call);
    this.unsubscribe.push(
      registry.watch((change, call) => (change === 'added' ? this.follow(call) : this.unfollow(call))),
      callEvents.on((e) => {
        const live = registry.get(e.callId);
        if (live) this.send('call', live.describe(false));
        if (e.campaignId) void this.checkCampaign(e.campaignId);
      }),
    );
    this.timer = setInterval(() => void this.check(), this.deps.checkIntervalMs ?? 1000);
    this.heartbeat = setInterval(() => this.comment('keep-alive'), HEARTBEAT_MS);
  }

  private stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const c of this.perCall.values()) c.stop();
    this.perCall.clear();
    this.campaignSeen.clear();
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
  }

  private follow(call: LiveCall): void {
    this.perCall.get(call.id)?.stop();
    const stop = call instanceof CallSession
      ? call.transcript.onChange(() => this.send('transcript', { id: call.id, transcript: call.transcript.toJSON() }))
      : () => undefined;
    this.perCall.set(call.id, { state: call.state, stop });
    this.send('call', call.describe(false));
  }

  private unfollow(call: LiveCall): void {
    this.perCall.get(call.id)?.stop();
    this.perCall.delete(call.id);
    this.send('call-ended', { id: call.id, state: 'ended', reason: (call as { endReason?: string }).endReason ?? null });
  }

  private async check(): Promise<void> {
    for (const call of this.deps.registry.list()) {
      const seen = this.perCall.get(call.id);
      if (seen && seen.state !== call.state) {
        seen.state = call.state;
        this.send('call', call.describe(false));
      }
    }
    const service = this.deps.campaigns();
    if (!service || this.checking) return;
    this.checking = true;
    try {
      const active = await service.list(['scheduled', 'running', 'paused']);
      const ids = new Set([...active.map((c) => c.id), ...this.campaignSeen.keys()]);
      for (const id of ids) await this.checkCampaign(id);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'event stream: campaign check failed');
    } finally {
      this.checking = false;
    }
  }

  /** Sends the campaign's view when it changed since the last one sent; forgets it once it is final. */
  private async checkCampaign(id: string): Promise<void> {
    const service = this.deps.campaigns();
    if (!service || this.clients.size === 0) return;
    const view = await service.status(id).catch(() => undefined);
    if (!view) return void this.campaignSeen.delete(id);
    const json = JSON.stringify(view);
    if (this.campaignSeen.get(id) !== json) this.sendRaw('campaign', json);
    if (FINAL_CAMPAIGN.has(view.status)) this.campaignSeen.delete(id);
    else this.campaignSeen.set(id, json);
  }

  private send(event: string, data: unknown, only?: Response): void {
    this.sendRaw(event, JSON.stringify(data), only);
  }

  private sendRaw(event: string, json: string, only?: Response): void {
    const frame = `event: ${event}\ndata: ${json}\n\n`;
    for (const res of only ? [only] : this.clients) res.write(frame);
  }

  private comment(text: string): void {
    for (const res of this.clients) res.write(`: ${text}\n\n`);
  }
}
