import type { Express } from 'express';
import type { CallRegistry } from '../call/call-registry.js';
import type { Metrics } from '../metrics.js';
import type { SipService } from '../sip/sip-service.js';

export interface HealthDeps {
  registry: CallRegistry;
  metrics: Metrics;
  sip: SipService | undefined;
  /** Shutting down: no longer ready. */
  isClosing: () => boolean;
}

/** Liveness, readiness and Prometheus metrics: open, no API token (probes and scrapers). */
export function mountHealth(app: Express, deps: HealthDeps): void {
  const { registry, metrics, sip } = deps;
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    // With SIP configured, not ready until drachtio-server is connected.
    const ready = !deps.isClosing() && (sip?.ready ?? true);
    const registrations = sip?.registrations.size ? { registrations: sip.registrations.statuses } : {};
    res.status(ready ? 200 : 503).json({ ready, activeCalls: registry.size, ...(sip ? { sip: sip.ready } : {}), ...registrations });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
