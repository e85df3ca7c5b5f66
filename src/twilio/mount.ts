import type http from 'node:http';
import express, { type Express } from 'express';
import expressWs from 'express-ws';
import type { WebSocket } from 'ws';
import type { Config } from '../../config/index.js';
import { sharedMediaClock } from '../../sip/media/media-clock.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { LiveCall } from '../call/live-call.js';
import type { CallEndings } from '../calls/call-endings.js';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallLog } from '../calls/call-log.js';
import type { CallServices } from '../calls/call-services.js';
import { SharedDialPacer } from '../calls/dial-pacer.js';
import type { OutboundProvider } from '../calls/outbound-provider.js';
import type { RecordProvider } from '../calls/record-reconciler.js';
import { systemClock } from '../campaigns/clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Recordings } from '../recording/recordings.js';
import type { Store } from '../store/index.js';
import { TwilioTransfers } from '../transfer/twilio-transfers.js';
import { AfterStreamActions, sayTwiml } from './after-stream.js';
import { outboundRoutes } from './outbound-routes.js';
import { createTwilioRestClient, type TwilioRestClient } from './rest-client.js';
import { toWebSocketUrl, twilioWebhookAuth, verifyStreamUpgrade, type SignatureSettings } from './signature.js';
import { acceptTwilioStream } from './stream-acceptor.js';
import { createTwilioBroadcastSession } from './twilio-broadcast.js';
import { createTwilioCallSession, type TwilioCallDeps } from './twilio-call.js';
import { TwilioCallLookup } from './twilio-call-lookup.js';
import { TwilioDialer } from './twilio-dialer.js';
import { transferRoutes } from './transfer-routes.js';
import { STREAM_ENDED_PATH, STREAM_PATH, voiceWebhook } from './voice-webhook.js';

export interface TwilioMountDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  registry: CallRegistry;
  /** Where outbound status callbacks and AMD results go. */
  lifecycle: CallLifecycle;
  callLog: CallLog;
  services: CallServices;
  recordings: Recordings;
  endings: CallEndings;
  instanceId: string;
  /** Shutting down: new media streams are refused. */
  isClosing: () => boolean;
}

export interface TwilioMount {
  /** Outbound calls through Twilio's REST API. */
  readonly outbound: OutboundProvider;
  /** Leaves a spoken goodbye (`<Say>`) for Twilio to play once the call's stream closes. */
  readonly sayAfterStream: (call: LiveCall, message: string) => void;
  /** Hangs up, through REST, a Twilio call no stream of this instance holds. */
  readonly hangupElsewhere: (id: string, message?: string) => Promise<boolean>;
  /** Shutdown: drops the media stream sockets still open. */
  terminateStreams(): void;
}

/** What a call on a Twilio stream is built from. */
type StreamDeps = TwilioMountDeps & { afterStream: AfterStreamActions; transfers: TwilioTransfers };

/**
 * Twilio: the webhooks Twilio signs (voice, outbound status, transfers, after
 * the stream), the Media Streams WebSocket where its calls begin, and the
 * REST client behind outbound dialing and hang-ups.
 */
export function mountTwilio(app: Express, server: http.Server, deps: TwilioMountDeps): TwilioMount {
  const { config, store, log, services, instanceId } = deps;
  const rest = createTwilioRestClient({ accountSid: config.twilio.accountSid ?? 'AC' + '0'.repeat(32), authToken: config.twilio.authToken ?? '', apiUrl: config.twilio.apiUrl });
  const afterStream = new AfterStreamActions();
  // CALLS_PER_SECOND is the account's: every instance takes its dial slots from one ledger row.
  const pacer = new SharedDialPacer(store.database.db, store.database.dialect, config.campaigns.callsPerSecond, systemClock);
  const dialer = new TwilioDialer({ config, store, rest, log, instanceId, pacer, retry: config.dialRetry, prefetchBroadcast: services.prefetchBroadcast('ulaw') });
  const transfers = new TwilioTransfers({ config, store, log });
  const signatures: SignatureSettings = { publicUrl: config.publicUrl, authToken: config.twilio.authToken, validate: config.twilio.validateSignatures };
  const wsApp = streamSocketServer(app, server, signatures, deps);
  mountWebhooks(app, signatures, { ...deps, afterStream, transfers });
  const accept = streamAcceptor({ ...deps, afterStream, transfers });
  wsApp.app.ws(STREAM_PATH, (ws) => accept(ws));
  return {
    outbound: { dialer, lookup: new TwilioCallLookup(rest, store), recordProvider: restRecordProvider(rest) },
    sayAfterStream: (call, message) => afterStream.set(call.leg.providerCallId, sayTwiml(message)),
    hangupElsewhere: restHangup(rest, store),
    terminateStreams: () => {
      for (const client of wsApp.getWss().clients) client.terminate();
    },
  };
}

/** The WebSocket server for media streams, on the HTTP server. */
function streamSocketServer(app: Express, server: http.Server, signatures: SignatureSettings, deps: TwilioMountDeps): expressWs.Instance {
  const { config, metrics, log } = deps;
  return expressWs(app, server, {
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
}

/** Every HTTP request from Twilio, each checked against its signature. */
function mountWebhooks(app: Express, signatures: SignatureSettings, deps: StreamDeps): void {
  const { config, store, registry, lifecycle, log, metrics, afterStream } = deps;
  const { prepareAgent, personalizer } = deps.services;
  app.use('/twilio', express.urlencoded({ extended: false, limit: '64kb' }));
  const auth = twilioWebhookAuth(signatures, log, metrics);
  app.post('/twilio/voice', auth, voiceWebhook({ config, registry, log, metrics, prepareAgent, personalizer }));
  app.post(STREAM_ENDED_PATH, auth, (req, res) => {
    res.type('text/xml').send(afterStream.take(String((req.body as Record<string, unknown>)?.CallSid ?? '')));
  });
  app.use(outboundRoutes({ config, store, registry, lifecycle, log, auth, prepareAgent }));
  app.use(transferRoutes(deps.transfers, auth));
}

/** A media stream socket: refused while shutting down, else a broadcast or an agent call once its `start` arrives. */
function streamAcceptor(deps: StreamDeps): (ws: WebSocket) => void {
  const { config, log, metrics, registry, callLog, store, recordings, afterStream, transfers } = deps;
  const { policies, tts, personalizer, prefetchedAgentUrl } = deps.services;
  const { onEnded, onBroadcastEnded } = deps.endings;
  return (ws) => {
    if (deps.isClosing()) return ws.close(1001, 'shutting down');
    acceptTwilioStream(ws, {
      config, clock: sharedMediaClock, log, metrics,
      hasRoom: () => registry.hasRoom(),
      onCall: (leg, start, legLog) => {
        const callDeps: TwilioCallDeps = { config, metrics, policies, store, transfers, afterStream, onEnded, prefetchedAgentUrl, personalizer, recordings };
        if (start.customParameters.mode === 'broadcast') {
          const broadcast = createTwilioBroadcastSession(leg, start, legLog, { ...callDeps, tts, registry, onBroadcastEnded });
          registry.add(broadcast);
          void callLog.attached(broadcast.id, broadcast.startedAt);
          return broadcast.start();
        }
        const session = createTwilioCallSession(leg, start, legLog, callDeps);
        registry.add(session);
        session.start();
        void callLog.started(session);
        if (session.direction === 'outbound') void applyEarlyMachineVerdict(session, store, legLog);
      },
    });
  };
}

/**
 * Async AMD reports on its own callback, which may come before the call's media stream starts (the
 * verdict is recorded, but there is no session yet to act on it). Read once the session is listed:
 * a later callback finds the session, an earlier one's record is seen here.
 */
async function applyEarlyMachineVerdict(session: { id: string; onAnsweringMachine(answeredBy: string): void }, store: Store, log: Logger): Promise<void> {
  try {
    const by = (await store.calls.get(session.id))?.answeredBy;
    if (by && (by.startsWith('machine') || by === 'fax')) session.onAnsweringMachine(by);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'answering machine verdict could not be read');
  }
}

/** Start-up reconcile asks Twilio about the call records a crash left open. */
function restRecordProvider(rest: TwilioRestClient): RecordProvider {
  return {
    fetch: async (sid) => {
      const c = await rest.calls(sid).fetch();
      return { status: c.status, answeredBy: c.answeredBy, endTime: c.endTime };
    },
    hangup: async (sid, status) => void (await rest.calls(sid).update({ status })),
  };
}

/** Live control's hang-up for a call no stream of ours holds: REST is the only way to reach it. */
function restHangup(rest: TwilioRestClient, store: Store): TwilioMount['hangupElsewhere'] {
  return async (id, message) => {
    const call = (await store.calls.get(id)) ?? (await store.calls.getByProviderCallId('twilio', id));
    if (!call?.providerCallId || call.endedAt !== null || call.provider !== 'twilio') return false;
    // Twilio: `canceled` ends a call still queued or ringing, `completed` one in progress (§3.4).
    const status = call.answeredAt === null ? 'canceled' : 'completed';
    await rest.calls(call.providerCallId).update(message && call.answeredAt !== null ? { twiml: sayTwiml(message) } : { status });
    // Not held by a session anywhere: the API's hang-up is the reason; Twilio's final status lands beside it.
    await store.calls.end(call.id, { reason: 'api-hangup', unlessHeld: true });
    return true;
  };
}
