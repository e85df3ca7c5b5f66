import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import expressWs from 'express-ws';
import type { BroadcastSettings, Config } from '../config/index.js';
import { PolicyResolver } from './call/call-policy.js';
import { CallRegistry } from './call/call-registry.js';
import { CallPrep } from './call/call-prep.js';
import { signedUrlPrefetchFor } from './agent/signed-url-prefetch.js';
import type { CallSession } from './call/call-session.js';
import { sharedMediaClock } from '../sip/media/media-clock.js';
import { CallEvents } from './calls/call-events.js';
import { CallLog } from './calls/call-log.js';
import { CallLifecycle } from './calls/call-lifecycle.js';
import { SharedDialPacer } from './calls/dial-pacer.js';
import { InstanceHeartbeat } from './calls/instance-heartbeat.js';
import { PgControlForwarder } from './calls/control-forwarder.js';
import { runLocalControl } from './http/live-control.js';
import type { LiveCall } from './call/live-call.js';
import { reconcileCallRecords, type RecordProvider, type RecordReconcileReport } from './calls/record-reconciler.js';
import { systemClock } from './campaigns/clock.js';
import { startCampaignEngine, type CampaignEngine } from './campaigns/engine.js';
import { campaignRoutes } from './campaigns/http/campaign-routes.js';
import { requireApiToken } from './http/api-auth.js';
import { guardApi, notFoundJson } from './http/api-guard.js';
import { EventStream } from './http/event-stream.js';
import { SessionStore } from './ui/sessions.js';
import { uiRoutes } from './ui/ui-routes.js';
import { callsRoutes, liveControlRoutes } from './http/calls-routes.js';
import { apiErrorHandler } from './http/errors.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import type { Store } from './store/index.js';
import { AfterStreamActions, sayTwiml } from './twilio/after-stream.js';
import { outboundRoutes } from './twilio/outbound-routes.js';
import { createTwilioRestClient } from './twilio/rest-client.js';
import { toWebSocketUrl, twilioWebhookAuth, verifyStreamUpgrade, type SignatureSettings } from './twilio/signature.js';
import { acceptTwilioStream } from './twilio/stream-acceptor.js';
import { createTwilioCallSession } from './twilio/twilio-call.js';
import { TwilioDialer } from './twilio/twilio-dialer.js';
import { createTwilioBroadcastSession } from './twilio/twilio-broadcast.js';
import { createTtsService } from './tts/tts-service.js';
import type { BroadcastSession } from './broadcast/broadcast-session.js';
import type { BroadcastOutcome } from './broadcast/broadcast-outcome.js';
import { SipService } from './sip/sip-service.js';
import type { SrfLike } from '../sip/signaling/srf-types.js';
import { SipDialer } from './sip/sip-dialer.js';
import { StoreCallLookup } from './calls/store-call-lookup.js';
import type { OutboundDialer } from './calls/outbound-dialer.js';
import { TwilioCallLookup } from './twilio/twilio-call-lookup.js';
import { transferRoutes } from './twilio/transfer-routes.js';
import { TwilioTransfers } from './transfer/twilio-transfers.js';
import { STREAM_ENDED_PATH, STREAM_PATH, voiceWebhook } from './twilio/voice-webhook.js';
import { createWebhooks, type Webhooks, type WebhooksDeps } from './webhooks/webhooks.js';
import { Recordings } from './recording/recordings.js';
import { recordingRoutes } from './recording/recording-routes.js';
import { Retention } from './retention/retention.js';
import { Personalizer } from './personalization/personalizer.js';

/** Work prepared while a call rings waits this long for its stream, then is dropped. */
const CALL_PREP_TTL_MS = 60_000;

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

/** A Twilio stream normally starts within a second or two of its TwiML; a signed URL stays valid 15 minutes (§4.1). */

export function createBridge(config: Config, log: Logger, deps: BridgeDeps): Bridge {
  const { store } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const app = express();
  const server = http.createServer(app);
  const registry = new CallRegistry(config.limits.maxConcurrentCalls);
  const afterStream = new AfterStreamActions();
  // Work for a call started before its stream exists (signed agent URL, personalization), taken at stream start.
  const callPrep = new CallPrep({ ttlMs: CALL_PREP_TTL_MS });
  const signedUrls = signedUrlPrefetchFor(config, callPrep);
  const prepareAgent = signedUrls && ((callSid: string, agentId: string) => signedUrls.start(callSid, agentId));
  // One drift-corrected 20 ms clock paces every leg, Twilio and RTP alike.
  const clock = sharedMediaClock;
  const events = new EventEmitter();
  const callEvents = new CallEvents();
  const instanceId = config.campaigns.instanceId;
  const callLog = new CallLog(store, log, instanceId);
  const lifecycle = new CallLifecycle({ store, events: callEvents, log });
  // CALLS_PER_SECOND is the account's: every instance takes its dial slots from one ledger row.
  const pacer = new SharedDialPacer(store.database.db, store.database.dialect, config.campaigns.callsPerSecond, systemClock);
  const webhooks = createWebhooks({ config, store, log, metrics, delivery: deps.webhookDelivery });
  const recordings = new Recordings(config.database.dataDir, log);
  const retention = config.retentionDays ? new Retention({ store, recordings, days: config.retentionDays, log }) : undefined;
  const rest = createTwilioRestClient({ accountSid: config.twilio.accountSid ?? 'AC' + '0'.repeat(32), authToken: config.twilio.authToken ?? '', apiUrl: config.twilio.apiUrl });
  const tts = createTtsService(config.tts, { elevenlabs: config.elevenlabs, registry: metrics.registry });
  const policies = new PolicyResolver(config, tts, log);
  policies.preload();
  const personalizer = new Personalizer({ prep: callPrep, settingsFor: (agentId) => policies.settings(agentId).personalization, log, metrics });
  // Broadcast texts are synthesized before dialing, in the law the call will carry.
  const prefetchFor = (encoding: 'ulaw' | 'alaw') => async (b: BroadcastSettings): Promise<void> => {
    for (const text of [b.message, b.voicemail_message]) if (text) await tts.prefetch(text, { encoding, voiceId: b.voice_id });
  };
  const twilioDialer = new TwilioDialer({ config, store, rest, log, instanceId, pacer, retry: config.dialRetry, prefetchBroadcast: prefetchFor('ulaw') });
  const transfers = new TwilioTransfers({ config, store, log });
  const sip = config.sip.drachtio
    ? new SipService({ config, log, metrics, registry, policies, store, tts, callLog, onEnded: (s) => onEnded(s), srf: deps.sipSrf, personalizer, recordings })
    : undefined;
  const sipOutbound = config.sip.outboundProvider === 'sip' && sip;
  const dialer: OutboundDialer = sipOutbound
    ? new SipDialer({
      sip, store, events: callEvents, registry, log, metrics, fromNumber: config.twilio.fromNumber, instanceId,
      onEnded: (s) => onEnded(s), onBroadcastEnded: (s, o) => onBroadcastEnded(s, o), prefetchBroadcast: prefetchFor(sip.outboundLaw),
    })
    : twilioDialer;
  const lookup = sipOutbound ? new StoreCallLookup(store, registry) : new TwilioCallLookup(rest, store);
  let campaigns: CampaignEngine | undefined;
  let reconciledRecords: RecordReconcileReport | undefined;
  const heartbeat = new InstanceHeartbeat(store.database.db, instanceId, config.instances.heartbeatMs);
  const recordProvider: RecordProvider = {
    fetch: async (sid) => {
      const c = await rest.calls(sid).fetch();
      return { status: c.status, answeredBy: c.answeredBy, endTime: c.endTime };
    },
    hangup: async (sid, status) => void (await rest.calls(sid).update({ status })),
  };
  let campaignRouter: express.Router | undefined;
  const signatures: SignatureSettings = { publicUrl: config.publicUrl, authToken: config.twilio.authToken, validate: config.twilio.validateSignatures };
  let closing = false;

  const wsApp = expressWs(app, server, {
    wsOptions: {
      maxPayload: config.limits.maxStreamMessageBytes,
      perMessageDeflate: false,
      // Reject unsigned upgrades with 403 before accepting: strangers never get a socket.
      verifyClient: (info, done) => {
        const path = new URL(info.req.url ?? '/', 'http://x').pathname;
        if (path !== STREAM_PATH) return done(false, 404, 'Not Found');
        const verdict = verifyStreamUpgrade(signatures, info.req, toWebSocketUrl(config.publicUrl) + STREAM_PATH);
        if (verdict === 'ok' || verdict === 'disabled') return done(true);
        metrics.rejected.inc({ source: 'twilio-upgrade', reason: verdict });
        log.warn({ verdict }, 'rejected media stream upgrade');
        done(false, 403, 'Forbidden');
      },
    },
  });

  const onEnded = (s: CallSession): void => {
    registry.remove(s.id);
    // The recording is finished first: its link goes into the record and the post-call event.
    void recordings.finish(s.id)
      .then((r) => callLog.ended(s, r ? { recording: { file: r.file, durationMs: r.durationMs, bytes: r.bytes } } : {}))
      .then(() => events.emit('call-ended', s));
  };
  const onBroadcastEnded = (s: BroadcastSession, outcome: BroadcastOutcome): void => {
    if (registry.get(s.id) === s) registry.remove(s.id);
    void callLog.broadcastEnded(s, outcome).then(() => events.emit('broadcast-ended', s));
  };

  app.disable('x-powered-by');
  app.use('/twilio', express.urlencoded({ extended: false, limit: '64kb' }));
  const auth = twilioWebhookAuth(signatures, log, metrics);
  app.post('/twilio/voice', auth, voiceWebhook({ config, registry, log, metrics, prepareAgent, personalizer }));
  app.post(STREAM_ENDED_PATH, auth, (req, res) => {
    res.type('text/xml').send(afterStream.take(String((req.body as Record<string, unknown>)?.CallSid ?? '')));
  });
  app.use(outboundRoutes({ config, store, registry, lifecycle, log, auth, prepareAgent }));
  app.use(transferRoutes(transfers, auth));
  wsApp.app.ws(STREAM_PATH, (ws) => {
    if (closing) return ws.close(1001, 'shutting down');
    acceptTwilioStream(ws, {
      config, clock, log, metrics,
      hasRoom: () => registry.hasRoom(),
      onCall: (leg, start, legLog) => {
        const prefetchedAgentUrl = signedUrls && ((callSid: string, agentId: string) => signedUrls.take(callSid, agentId));
        const deps = { config, metrics, policies, store, transfers, afterStream, onEnded, prefetchedAgentUrl, personalizer, recordings };
        if (start.customParameters.mode === 'broadcast') {
          const broadcast = createTwilioBroadcastSession(leg, start, legLog, { ...deps, tts, registry, onBroadcastEnded });
          registry.add(broadcast);
          void callLog.attached(broadcast.id, broadcast.startedAt);
          return broadcast.start();
        }
        const session = createTwilioCallSession(leg, start, legLog, deps);
        registry.add(session);
        session.start();
        void callLog.started(session);
      },
    });
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    // With SIP configured, not ready until drachtio-server is connected.
    const ready = !closing && (sip?.ready ?? true);
    const registrations = sip?.registrations.size ? { registrations: sip.registrations.statuses } : {};
    res.status(ready ? 200 : 503).json({ ready, activeCalls: registry.size, ...(sip ? { sip: sip.ready } : {}), ...registrations });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // The dashboard signs in with API_TOKEN; its session cookie then opens the same API.
  const sessions = new SessionStore(config.ui.sessionTtlSeconds * 1000);
  app.use(uiRoutes({ apiToken: config.apiToken, sessions, sessionTtlSeconds: config.ui.sessionTtlSeconds, secureCookie: config.publicUrl.startsWith('https:'), log }));
  app.use(guardApi(requireApiToken(config.apiToken, sessions)));
  const eventStream = new EventStream({ registry, callEvents, campaigns: () => campaigns?.service, log });
  app.use(eventStream.router());
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  api.use(callsRoutes({ config, store, registry, dialer }));
  const sayAfterStream = (s: LiveCall, message: string): void => afterStream.set(s.leg.providerCallId, sayTwiml(message));
  // Several instances share PostgreSQL: control for a call held elsewhere is forwarded to its holder.
  const { connection } = store.database;
  const forwarder = store.database.dialect === 'postgres' && connection
    ? new PgControlForwarder({
      db: store.database.db, connection, instanceId, log, timeoutMs: config.instances.controlForwardTimeoutMs,
      local: (req) => runLocalControl({ registry, sayAfterStream }, req),
    })
    : undefined;
  api.use(webhooks.routes);
  api.use(recordingRoutes({ store, recordings }));
  api.use(liveControlRoutes({
    registry, store, instanceId, sayAfterStream,
    forward: forwarder && ((target, req) => forwarder.forward(target, req)),
    hangupElsewhere: async (id, message) => {
      const call = (await store.calls.get(id)) ?? (await store.calls.getByProviderCallId('twilio', id));
      if (!call?.providerCallId || call.endedAt !== null || call.provider !== 'twilio') return false;
      // No stream on this instance: REST is the only way to reach the call.
      // Twilio: `canceled` ends a call still queued or ringing, `completed` one in progress (§3.4).
      const status = call.answeredAt === null ? 'canceled' : 'completed';
      await rest.calls(call.providerCallId).update(message && call.answeredAt !== null ? { twiml: sayTwiml(message) } : { status });
      // Not held by a session anywhere: the API's hang-up is the reason; Twilio's final status lands beside it.
      await store.calls.end(call.id, { reason: 'api-hangup', unlessHeld: true });
      return true;
    },
  }));
  app.use(api);
  // The campaign routes exist once the engine has started (listen()).
  app.use((req, res, next) => (campaignRouter ? campaignRouter(req, res, next) : next()));
  app.use(notFoundJson);
  app.use(apiErrorHandler(log));

  return {
    server, registry, metrics, store, events, callEvents, webhooks,
    get campaigns() {
      return campaigns;
    },
    get reconciledRecords() {
      return reconciledRecords;
    },
    listen: async () => {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
      });
      // Spoken prompts are ready before campaigns dial; a TTS failure is logged, never fatal.
      await policies.warmUp();
      const crashedAt = (await heartbeat.start()) ?? Date.now();
      await forwarder?.start();
      campaigns = await startCampaignEngine({
        beforeReconcile: async () => {
          reconciledRecords = await reconcileCallRecords({ store, instanceId, provider: sipOutbound ? undefined : recordProvider, crashedAt, log });
        },
        store, events: callEvents, dialer, lookup, control: lookup, log,
        instanceId: config.campaigns.instanceId, maxConcurrentCalls: config.limits.maxConcurrentCalls,
        concurrencyShare: config.campaigns.concurrencyShare, callsPerSecond: config.campaigns.callsPerSecond,
        // Outbound campaign calls are counted from the database; only inbound ones are added here.
        activeInbound: () => registry.list().filter((s) => s.direction === 'inbound').length,
      });
      sip?.start();
      webhooks.start();
      retention?.start();
      campaignRouter = campaignRoutes({ service: campaigns.service, log, defaultRegion: config.campaigns.defaultRegion });
      return address;
    },
    close: async (graceMs = 0) => {
      closing = true;
      heartbeat.stop();
      await forwarder?.stop();
      callPrep.clear();
      // New INVITEs get 503 + Retry-After while calls finish; drachtio stays connected so their BYEs still go out.
      sip?.drain();
      eventStream.close();
      await campaigns?.stop();
      lifecycle.stop();
      tts.close();
      retention?.stop();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.drain(graceMs);
      await registry.endAll();
      await sip?.stop();
      for (const client of wsApp.getWss().clients) client.terminate();
      server.closeAllConnections();
      await stopped;
      // Last: the calls ended above have written their events; what is not sent stays in the outbox.
      await webhooks.stop();
    },
  };
}
