import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { OutboxEvent, WebhookOutbox } from '../store/index.js';
import { fetchConversationAnalysis, withAnalysis } from './analysis.js';
import { retryDelayMs } from './backoff.js';
import { elevenLabsSignature } from './signature.js';

export interface DelivererOptions {
  outbox: WebhookOutbox;
  url: string;
  secret?: string;
  timeoutMs: number;
  maxAgeMs: number;
  instanceId: string;
  log: Logger;
  metrics: Metrics;
  /** ElevenLabs API, for the conversation's analysis; absent: events go out without it. */
  elevenlabs?: { apiUrl: string; apiKey: string };
  baseDelayMs?: number;
  maxDelayMs?: number;
  pollMs?: number;
  /** How often a conversation's analysis is asked for while the event waits (default 5 s). */
  analysisPollMs?: number;
  batch?: number;
  now?: () => number;
  random?: () => number;
}

const ANALYSIS_REQUEST_TIMEOUT_MS = 5000;
const ANALYSIS_POLL_MS = 5000;
const LEASE_MARGIN_MS = 30_000;

/**
 * Posts outbox events to the receiver: one deliverer per instance, rows
 * leased so no two instances send the same event at once. 2xx = delivered;
 * 410 Gone = the receiver wants no more of it; anything else is retried with
 * exponential backoff and jitter until the event is `maxAgeMs` old. Every
 * attempt carries the event's stable `Idempotency-Key`.
 */
export class WebhookDeliverer {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly refusals: RateLimitedLog;

  constructor(private readonly opts: DelivererOptions) {
    this.now = opts.now ?? Date.now;
    this.leaseMs = opts.timeoutMs + ANALYSIS_REQUEST_TIMEOUT_MS + LEASE_MARGIN_MS;
    this.refusals = new RateLimitedLog(opts.log, 60_000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** New events were committed: look now instead of at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** One pass: claim due events and handle them (concurrently: at most one per call is due). */
  async runOnce(): Promise<number> {
    const events = await this.opts.outbox.claim(this.opts.instanceId, this.leaseMs, this.opts.batch ?? 10);
    await Promise.all(events.map((e) => this.handle(e).catch((err: Error) => {
      this.opts.log.error({ eventId: e.eventId, err: err.message }, 'webhook delivery step failed');
    })));
    return events.length;
  }

  private async run(): Promise<void> {
    // This instance restarted: its own old leases are no one's now.
    await this.opts.outbox.releaseLeases(this.opts.instanceId).catch(() => undefined);
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'webhook outbox claim failed; retrying');
      }
      if (handled === 0 && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.opts.pollMs ?? 1000);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = undefined;
        self.kicked = false;
        resolve();
      }
      this.wake = done;
    });
  }

  private async handle(e: OutboxEvent): Promise<void> {
    const { outbox, instanceId: me, maxAgeMs } = this.opts;
    const now = this.now();
    if (now - e.createdAt > maxAgeMs) {
      await outbox.failed(e.seq, me, `expired after ${e.attempts} attempts: ${e.lastError ?? 'never delivered'}`, e.lastStatus, false);
      this.opts.metrics.webhookDeliveries.inc({ outcome: 'expired' });
      return;
    }
    if (e.enrichUntil !== null) return this.enrich(e, now);
    await this.send(e);
  }

  /**
   * Waits, at most until `enrichUntil`, for ElevenLabs to finish analysing the
   * conversation, asking every `analysisPollMs` with each request cut off at
   * the bound; then the event goes out, with the analysis or with
   * `analysis: null` (the bound, a refused key, an unknown conversation).
   */
  private async enrich(e: OutboxEvent, now: number): Promise<void> {
    const api = this.opts.elevenlabs;
    const until = e.enrichUntil ?? now;
    const result = api && e.conversationId && now < until
      ? await fetchConversationAnalysis(api, e.conversationId, Math.min(ANALYSIS_REQUEST_TIMEOUT_MS, until - now))
      : undefined;
    const next = this.now() + (this.opts.analysisPollMs ?? ANALYSIS_POLL_MS);
    if (result?.state === 'pending' && next < until) {
      await this.opts.outbox.postpone(e.seq, this.opts.instanceId, next, {});
      return;
    }
    if (result?.state === 'unavailable' && (result.status === 401 || result.status === 403)) {
      this.refusals.warn('key', { status: result.status }, 'ElevenLabs refused the conversation request: ELEVENLABS_API_KEY may not read conversations; post-call events go out without analysis');
    }
    if (result && result.state !== 'done') {
      this.opts.log.info({ eventId: e.eventId, callId: e.callId, state: result.state, detail: result.detail }, 'post-call event goes out without ElevenLabs analysis');
    }
    const body = result?.state === 'done' ? withAnalysis(e.body, result) : undefined;
    await this.opts.outbox.postpone(e.seq, this.opts.instanceId, this.now(), { body, enrichUntil: null });
    this.kick();
  }

  private async send(e: OutboxEvent): Promise<void> {
    const { outbox, instanceId: me, secret, log, metrics } = this.opts;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': e.eventId,
      'user-agent': 'voice-bridge-webhooks/1',
    };
    if (secret) headers['elevenlabs-signature'] = elevenLabsSignature(secret, e.body, this.now() / 1000);
    let status: number | null = null;
    let error: string;
    try {
      const res = await fetch(this.opts.url, { method: 'POST', headers, body: e.body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const now = this.now();
    if (status !== null && status >= 200 && status < 300) {
      await outbox.delivered(e.seq, me, status);
      metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      metrics.webhookDeliverySeconds.observe((now - e.createdAt) / 1000);
      log.info({ eventId: e.eventId, callId: e.callId, type: e.type, attempts: e.attempts + 1 }, 'post-call webhook delivered');
      return;
    }
    if (status === 410) {
      await outbox.failed(e.seq, me, 'receiver answered 410 Gone', status, true);
      metrics.webhookDeliveries.inc({ outcome: 'gone' });
      log.warn({ eventId: e.eventId, callId: e.callId }, 'post-call webhook receiver answered 410 Gone; not retrying');
      return;
    }
    const next = now + retryDelayMs(e.attempts + 1, { baseMs: this.opts.baseDelayMs ?? 1000, maxMs: this.opts.maxDelayMs ?? 15 * 60_000 }, this.opts.random);
    metrics.webhookDeliveries.inc({ outcome: 'retry' });
    if (next - e.createdAt > this.opts.maxAgeMs) {
      await outbox.failed(e.seq, me, `gave up after ${e.attempts + 1} attempts: ${error}`, status, true);
      log.error({ eventId: e.eventId, callId: e.callId, error }, 'post-call webhook not delivered within its maximum age');
      return;
    }
    await outbox.retryAt(e.seq, me, next, error, status);
    log.warn({ eventId: e.eventId, callId: e.callId, error, attempt: e.attempts + 1, retryInMs: next - now }, 'post-call webhook failed; will retry');
  }
}
