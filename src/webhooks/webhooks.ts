import { Router } from 'express';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OutboxEvent, Store } from '../store/index.js';
import { WebhookDeliverer, type DelivererOptions } from './deliverer.js';
import { postCallHook } from './post-call-hook.js';

export interface WebhooksDeps {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  /** Tests: shorter backoff and polling (of the outbox and of ElevenLabs' analysis). */
  delivery?: Partial<Pick<DelivererOptions, 'baseDelayMs' | 'maxDelayMs' | 'pollMs' | 'analysisPollMs' | 'now' | 'random'>>;
}

export interface Webhooks {
  /** `GET /webhooks/deliveries`, behind the API token. */
  readonly routes: Router;
  readonly deliverer: WebhookDeliverer | undefined;
  start(): void;
  stop(): Promise<void>;
}

const listQuery = z.object({
  status: z.enum(['pending', 'failed', 'delivered']).optional(),
  call_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * Post-call webhooks: every call end writes its event to the outbox (in the
 * ending transaction) and this instance's deliverer sends it. Off without
 * POST_CALL_WEBHOOK_URL.
 */
export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { config, store, log, metrics } = deps;
  const w = config.webhooks;
  const deliverer = w.postCallUrl
    ? new WebhookDeliverer({
      outbox: store.outbox, url: w.postCallUrl, secret: w.secret, timeoutMs: w.timeoutMs, maxAgeMs: w.maxAgeMs,
      instanceId: config.campaigns.instanceId, log: log.child({ component: 'webhooks' }), metrics,
      elevenlabs: config.elevenlabs.apiKey ? { apiUrl: config.elevenlabs.apiUrl, apiKey: config.elevenlabs.apiKey } : undefined,
      ...deps.delivery,
    })
    : undefined;
  const unsubscribe: Array<() => void> = [];
  if (deliverer) {
    if (!w.secret) log.warn('POST_CALL_WEBHOOK_SECRET is not set: post-call webhooks go out unsigned');
    unsubscribe.push(store.calls.onEnd(postCallHook({
      publicUrl: config.publicUrl,
      analysisWaitMs: config.elevenlabs.apiKey ? w.analysisWaitMs : 0,
      now: deps.delivery?.now,
    })));
    // Once the end (and its outbox row) has committed: wake the deliverer.
    unsubscribe.push(store.calls.afterEnd(() => deliverer.kick()));
    registerDepthGauge(metrics, store);
  }
  const routes = Router();
  routes.get('/webhooks/deliveries', async (req, res) => {
    const q = listQuery.parse(req.query);
    const events = await store.outbox.list({ status: q.status ? [q.status] : undefined, callId: q.call_id, limit: q.limit });
    res.json({ enabled: Boolean(deliverer), deliveries: events.map(describe) });
  });
  return {
    routes, deliverer,
    start: () => deliverer?.start(),
    stop: async () => {
      for (const off of unsubscribe.splice(0)) off();
      await deliverer?.stop();
    },
  };
}

function describe(e: OutboxEvent): Record<string, unknown> {
  return {
    event_id: e.eventId, call_id: e.callId, type: e.type, status: e.status, attempts: e.attempts,
    created_at: new Date(e.createdAt).toISOString(),
    next_attempt_at: e.status === 'pending' ? new Date(e.nextAttemptAt).toISOString() : null,
    delivered_at: e.deliveredAt === null ? null : new Date(e.deliveredAt).toISOString(),
    last_error: e.lastError, last_status: e.lastStatus,
  };
}

function registerDepthGauge(metrics: Metrics, store: Store): void {
  if (metrics.registry.getSingleMetric('bridge_webhook_outbox_events')) return;
  new Gauge({
    name: 'bridge_webhook_outbox_events',
    help: 'Post-call events in the outbox, by status (pending = not yet delivered)',
    labelNames: ['status'] as const,
    registers: [metrics.registry],
    async collect() {
      const counts = await store.outbox.counts().catch(() => undefined);
      if (!counts) return;
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
}
