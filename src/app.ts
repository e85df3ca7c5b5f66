import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Config } from '../config/index.js';
import { CallRegistry } from './call/call-registry.js';
import { callEndings } from './calls/call-endings.js';
import { CallEvents } from './calls/call-events.js';
import { CallLifecycle } from './calls/call-lifecycle.js';
import { CallLog } from './calls/call-log.js';
import { createCallServices, type CallServices } from './calls/call-services.js';
import { InstanceHeartbeat } from './calls/instance-heartbeat.js';
import { mountCallsApi, type CallsApi } from './calls/mount.js';
import type { RecordReconcileReport } from './calls/record-reconciler.js';
import { mountCampaigns, type CampaignsMount } from './campaigns/mount.js';
import type { CampaignEngine } from './campaigns/engine.js';
import { requireApiToken } from './http/api-auth.js';
import { guardApi, notFoundJson } from './http/api-guard.js';
import { apiErrorHandler } from './http/errors.js';
import { EventStream } from './http/event-stream.js';
import { mountHealth } from './http/health-routes.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { recordingRoutes } from './recording/recording-routes.js';
import { Recordings } from './recording/recordings.js';
import { Retention } from './retention/retention.js';
import { mountSip, type SipMount } from './sip/mount.js';
import type { SrfLike } from '../sip/signaling/srf-types.js';
import type { Store } from './store/index.js';
import { mountTwilio, type TwilioMount } from './twilio/mount.js';
import { mountUi } from './ui/mount.js';
import { createWebhooks, type Webhooks, type WebhooksDeps } from './webhooks/webhooks.js';

export interface BridgeDeps {
  store: Store;
  metrics?: Metrics;
  /** Tests only: a stand-in for drachtio's Srf at the signaling boundary. */
  sipSrf?: SrfLike;
  /** Tests only: shorter webhook backoff and polling. */
  webhookDelivery?: WebhooksDeps['delivery'];
}

export interface Bridge {
  readonly server: http.Server;
  readonly registry: CallRegistry;
  readonly metrics: Metrics;
  readonly store: Store;
  /** Progress of outbound calls (status callbacks, AMD), for campaigns and the API. */
  readonly callEvents: CallEvents;
  /** Emits `call-ended` (session) once per call, after its teardown. */
  readonly events: EventEmitter;
  /** What start-up found of the call records the previous run left open. */
  readonly reconciledRecords: RecordReconcileReport | undefined;
  /** The campaign engine, once `listen()` has started it. */
  readonly campaigns: CampaignEngine | undefined;
  /** Post-call webhooks (outbox deliverer), when POST_CALL_WEBHOOK_URL is set. */
  readonly webhooks: Webhooks;
  /** Listens, then reconciles and starts campaign dispatching. */
  listen(): Promise<AddressInfo>;
  /**
   * Graceful stop: refuse new calls, give running ones `graceMs` to finish,
   * end the rest (reason `shutdown`), close sockets.
   */
  close(graceMs?: number): Promise<void>;
}

/** What listen() starts and close() stops, in their written orders. */
interface Parts {
  config: Config;
  server: http.Server;
  registry: CallRegistry;
  lifecycle: CallLifecycle;
  services: CallServices;
  webhooks: Webhooks;
  retention: Retention | undefined;
  heartbeat: InstanceHeartbeat;
  twilio: TwilioMount;
  sip: SipMount;
  eventStream: EventStream;
  callsApi: CallsApi;
  campaigns: CampaignsMount;
  shutdown: { closing: boolean };
}

/** The pieces every capability shares: the call registry, events and records, webhooks, recordings, call services. */
function createCore(config: Config, log: Logger, deps: BridgeDeps) {
  const { store } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const registry = new CallRegistry(config.limits.maxConcurrentCalls);
  const events = new EventEmitter();
  const callEvents = new CallEvents();
  const instanceId = config.campaigns.instanceId;
  const callLog = new CallLog(store, log, instanceId);
  const lifecycle = new CallLifecycle({ store, events: callEvents, log });
  const webhooks = createWebhooks({ config, store, log, metrics, delivery: deps.webhookDelivery });
  const recordings = new Recordings(config.database.dataDir, log);
  const retention = config.retentionDays ? new Retention({ store, recordings, days: config.retentionDays, log }) : undefined;
  const services = createCallServices(config, log, metrics);
  const endings = callEndings({ registry, recordings, callLog, events });
  return { config, log, store, metrics, registry, events, callEvents, instanceId, callLog, lifecycle, webhooks, recordings, retention, services, endings };
}

/**
 * The bridge: each capability mounts its routes and services in turn. Order
 * matters for the HTTP routes: Twilio's signed webhooks and the open probes
 * first, then the API token guard, then everything behind it.
 */
export function createBridge(config: Config, log: Logger, deps: BridgeDeps): Bridge {
  const core = createCore(config, log, deps);
  const { store, metrics, registry, events, callEvents, instanceId, webhooks, recordings } = core;
  const app = express();
  const server = http.createServer(app);
  const shutdown = { closing: false };
  const isClosing = (): boolean => shutdown.closing;
  app.disable('x-powered-by');
  // SIP has no HTTP routes (signaling runs over drachtio); when OUTBOUND_PROVIDER=sip it dials instead of Twilio.
  const sip = mountSip({ ...core, srf: deps.sipSrf });
  const twilio = mountTwilio(app, server, { ...core, isClosing });
  const outbound = sip.outbound ?? twilio.outbound;
  const heartbeat = new InstanceHeartbeat(store.database.db, instanceId, config.instances.heartbeatMs);
  mountHealth(app, { registry, metrics, sip: sip.service, isClosing });
  // The dashboard signs in with API_TOKEN; its session cookie then opens the same API.
  const sessions = mountUi(app, { config, log });
  app.use(guardApi(requireApiToken(config.apiToken, sessions)));
  const eventStream = new EventStream({ registry, callEvents, campaigns: () => campaigns.engine?.service, log });
  app.use(eventStream.router());
  const callsApi = mountCallsApi(app, {
    config, log, store, registry, instanceId, dialer: outbound.dialer,
    routes: [webhooks.routes, recordingRoutes({ store, recordings })],
    sayAfterStream: twilio.sayAfterStream, hangupElsewhere: twilio.hangupElsewhere,
  });
  const campaigns = mountCampaigns(app, { config, log, store, registry, callEvents, instanceId, outbound });
  app.use(notFoundJson);
  app.use(apiErrorHandler(log));
  const parts: Parts = { ...core, server, heartbeat, twilio, sip, eventStream, callsApi, campaigns, shutdown };
  return {
    server, registry, metrics, store, events, callEvents, webhooks,
    get campaigns() {
      return campaigns.engine;
    },
    get reconciledRecords() {
      return campaigns.reconciledRecords;
    },
    listen: () => listen(parts),
    close: (graceMs = 0) => close(parts, graceMs),
  };
}

async function listen(p: Parts): Promise<AddressInfo> {
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    p.server.once('error', reject);
    p.server.listen(p.config.port, p.config.host, () => resolve(p.server.address() as AddressInfo));
  });
  // Spoken prompts are ready before campaigns dial; a TTS failure is logged, never fatal.
  await p.services.policies.warmUp();
  const crashedAt = (await p.heartbeat.start()) ?? Date.now();
  await p.callsApi.start();
  await p.campaigns.start(crashedAt);
  p.sip.service?.start();
  p.webhooks.start();
  p.retention?.start();
  p.campaigns.openRoutes();
  return address;
}

async function close(p: Parts, graceMs: number): Promise<void> {
  p.shutdown.closing = true;
  p.heartbeat.stop();
  await p.callsApi.stop();
  p.services.callPrep.clear();
  // New INVITEs get 503 + Retry-After while calls finish; drachtio stays connected so their BYEs still go out.
  p.sip.service?.drain();
  p.eventStream.close();
  await p.campaigns.stop();
  p.lifecycle.stop();
  p.services.tts.close();
  p.retention?.stop();
  const stopped = new Promise<void>((resolve) => p.server.close(() => resolve()));
  await p.registry.drain(graceMs);
  await p.registry.endAll();
  await p.sip.service?.stop();
  p.twilio.terminateStreams();
  p.server.closeAllConnections();
  await stopped;
  // Last: the calls ended above have written their events; what is not sent stays in the outbox.
  await p.webhooks.stop();
}
