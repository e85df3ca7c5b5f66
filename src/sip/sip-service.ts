import type { BroadcastSettings, Config, PartialCallPolicy, TransferRule } from '../../config/index.js';
import type { Recordings } from '../recording/recordings.js';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { callerIdOf, headerVariables } from '../../sip/signaling/caller-identity.js';
import { DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';
import { serveInbound, type InboundOutcome } from '../../sip/signaling/inbound-call.js';
import {
  challengeDigest, checkCapacity, identifyTrunk, negotiateMedia, routeToAgent, type InviteContext,
} from '../../sip/signaling/inbound-chain.js';
import { DEFAULT_CODECS, rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import { validateCidrs, type TrunkConfig } from '../../sip/signaling/trunks.js';
import type { SrfLike } from '../../sip/signaling/srf-types.js';
import { agentConnector } from '../agent/agent-connector.js';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';
import { BroadcastSession, optOutToDoNotCall } from '../broadcast/broadcast-session.js';
import type { PolicyResolver } from '../call/call-policy.js';
import type { CallRegistry } from '../call/call-registry.js';
import { CallSession } from '../call/call-session.js';
import type { CallLog } from '../calls/call-log.js';
import type { EndReason } from '../call/end-reason.js';
import type { Logger } from '../logger.js';
import { createCallerSpeechDetector } from '../media-adapters/caller-speech-detector.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/index.js';
import { matchTransferRule, type TransferRequest } from '../transfer/transfer-request.js';
import type { TtsService } from '../tts/tts-service.js';
import { RingingCall, type AnswerDecision } from './ringing-call.js';
import { SipCallLeg } from './sip-call-leg.js';
import { recordCallMedia } from './call-media-security.js';
import { SipRegistrations } from './sip-registrations.js';
import { runSipTransfer } from './sip-transfer.js';
import type { Personalizer } from '../personalization/personalizer.js';
import { refuseUnpersonalized, startPersonalization } from './sip-personalization.js';
import type { ConversationInit } from '../agent/elevenlabs-protocol.js';

interface Ringing {
  call: RingingCall;
  /** The call record's insert: later updates wait for it. */
  recorded: Promise<void>;
}

export interface SipServiceDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  registry: CallRegistry;
  policies: PolicyResolver;
  store: Store;
  tts: TtsService;
  callLog: CallLog;
  onEnded: (session: CallSession) => void;
  /** The conversation initiation webhook, started while the INVITE rings. */
  personalizer?: Personalizer;
  recordings?: Recordings;
  /** Tests: a stand-in for drachtio's Srf (signaling boundary only). */
  srf?: SrfLike;
}

/**
 * SIP trunk calls through a drachtio-server: the connection, the inbound
 * admission chain, and the agent session on each answered call. Every call
 * runs the same CallSession as a Twilio call; only the leg differs.
 */
export class SipService {
  readonly connection: DrachtioConnection;
  readonly media: MediaOptions;
  readonly registrations: SipRegistrations;
  private readonly trunks: TrunkConfig[];
  /** Inbound INVITEs that rang while their agent got ready (until answered or given up). */
  private readonly ringing = new Map<InviteContext, Ringing>();
  private draining = false;

  constructor(private readonly deps: SipServiceDeps) {
    const { sip } = deps.config;
    if (!sip.drachtio) throw new Error('SIP needs DRACHTIO_HOST');
    this.trunks = sip.file.trunks as TrunkConfig[];
    const badCidrs = this.trunks.flatMap((t) => validateCidrs(t.inbound?.allowedCidrs ?? []).map((c) => `trunk ${t.id}: ${c}`));
    if (badCidrs.length > 0) throw new Error(`SIP_CONFIG_FILE: invalid allowedCidrs: ${badCidrs.join(', ')}`);
    this.connection = new DrachtioConnection({ ...sip.drachtio, log: deps.log, srf: deps.srf });
    const { metrics } = deps;
    this.media = {
      ports: new PortAllocator({ min: sip.rtp.portMin, max: sip.rtp.portMax }),
      publicAddress: sip.publicAddress,
      codecs: sip.codecs,
      mediaEncryption: sip.mediaEncryption,
      factory: rtpSessionFactory({
        bindAddress: sip.rtp.bindAddress, inactivityTimeoutMs: sip.rtp.inactivityMs,
        // Tampered, replayed or wrong-key packets: dropped by the SRTP stage, counted here; the call goes on.
        onSrtpDrop: (reason, kind) => metrics.srtpDropped.inc({ kind, reason }),
      }),
    };
    this.registrations = new SipRegistrations(this.connection, this.trunks, { log: deps.log, metrics, publicAddress: sip.publicAddress });
  }

  /** Connected to drachtio-server, and (when SIP_READY_REQUIRES_REGISTRATION) every registration up. */
  get ready(): boolean {
    const regsOk = !this.deps.config.sip.readyRequiresRegistration || this.registrations.allRegistered;
    return this.connection.ready && regsOk;
  }

  start(): void {
    const { sip } = this.deps.config;
    const digest = this.trunks.some((t) => t.inbound?.credentials);
    serveInbound(this.connection.srf, {
      publicAddress: sip.publicAddress,
      chain: [
        this.registrations.identifyRegisteredContact(),
        identifyTrunk(this.trunks),
        ...(digest ? [challengeDigest({ realm: 'voice-bridge' })] : []),
        routeToAgent({ ...sip.file.routes, defaultAgentId: sip.file.routes.defaultAgentId ?? this.deps.config.elevenlabs.agentId }),
        // RFC 3261 §21.5.4: a full or draining bridge is overloaded, not busy; carriers fail over on 503 + Retry-After.
        checkCapacity({
          tryAcquire: () => (this.draining || !this.deps.registry.hasRoom()
            ? { status: 503, reason: this.draining ? 'Service Unavailable (draining)' : 'Service Unavailable (capacity)' }
            : () => undefined),
        }, sip.retryAfterSeconds),
        ...(this.deps.personalizer ? [startPersonalization(this.deps.personalizer)] : []),
        negotiateMedia(this.media),
      ],
      earlyMedia: sip.earlyMedia,
      beforeAnswer: (ctx, cancel) => this.ringUntilAgentReady(ctx, cancel),
      onCall: () => undefined,
      onOutcome: (o, ctx) => this.onInviteOutcome(o, ctx),
    });
    this.connection.start();
    this.registrations.start();
  }

  /** Shutting down: new INVITEs get 503 + Retry-After while the calls in progress finish. */
  drain(): void {
    this.draining = true;
  }

  /** Unregister (Expires: 0) while still connected, then disconnect. */
  async stop(): Promise<void> {
    await this.registrations.stop();
    this.connection.stop();
  }

  /** The INVITE rings while the agent conversation opens (see RingingCall). */
  private async ringUntilAgentReady(ctx: InviteContext, cancel: AbortSignal): Promise<void> {
    const { config } = this.deps;
    const agentId = ctx.agentId ?? '';
    const from = callerIdOf(ctx.req, ctx.from);
    const to = ctx.to.user ?? ctx.to.uri;
    const variables = headerVariables(ctx.req, config.sip.headersToAgent);
    const log = this.deps.log.child({ callId: ctx.callId, leg: 'sip' });
    // A per-agent "refuse" setting declines the call (603) when personalization failed, before anything else.
    if (this.deps.personalizer) await refuseUnpersonalized(this.deps.personalizer)(ctx);
    const defaults = this.agentInit(ctx.callId, from, to, variables, {});
    let init: Promise<ConversationInit> | undefined;
    const call = new RingingCall({
      id: ctx.callId, from, to, agentId, answerTimeoutMs: config.sip.answerTimeoutMs, retryAfterSeconds: config.sip.retryAfterSeconds,
      onAgentFailure: this.deps.policies.resolve(agentId).agentFailure.policy,
      connect: (signal) => agentConnector(config, log)(agentId, () => (init ??= this.personalizedInit(ctx.callId, agentId, false, defaults)))(signal),
    });
    const recorded = this.deps.callLog.ringing({ id: call.id, provider: 'sip', from, to, agentId, startedAt: call.startedAt });
    this.ringing.set(ctx, { call, recorded });
    this.deps.registry.add(call);
    const t0 = performance.now();
    try {
      const decision = await call.ring(cancel);
      log.info({ ringMs: Math.round(performance.now() - t0), agentReady: 'link' in decision }, 'answering');
    } catch (err) {
      this.endRinging(ctx, call.endReason ?? 'error', call.endDetail);
      throw err;
    }
  }

  private onInviteOutcome(o: InboundOutcome, ctx: InviteContext | undefined): void {
    if (o.kind === 'rejected') this.deps.metrics.rejected.inc({ source: 'sip-invite', reason: String(o.status) });
    const rang = ctx ? this.ringing.get(ctx) : undefined;
    if (o.kind === 'answered') return this.onAnswered(o.leg, rang, ctx);
    if (ctx && rang) this.endRinging(ctx, o.kind === 'canceled' ? 'caller-cancelled' : 'error', o.kind === 'canceled' ? 'CANCEL' : o.reason);
  }

  /** A ring that ends without an answer: close the agent, record who gave up, leave the registry. */
  private endRinging(ctx: InviteContext, reason: EndReason, detail: string): void {
    const rang = this.ringing.get(ctx);
    if (!rang) return;
    this.ringing.delete(ctx);
    rang.call.notAnswered(reason, detail);
    if (this.deps.registry.get(rang.call.id) === rang.call) this.deps.registry.remove(rang.call.id);
    this.deps.metrics.rejected.inc({ source: 'sip-ringing', reason: rang.call.endReason ?? reason });
    void rang.recorded.then(() => this.deps.callLog.notAnswered(rang.call.id, rang.call.endReason ?? reason));
  }

  /** ACKed: the call's session starts on the conversation the ring opened (or runs the agent-failure policy). */
  private onAnswered(dialog: SipDialogLeg, rang: Ringing | undefined, ctx: InviteContext | undefined): void {
    const leg = new SipCallLeg(dialog);
    const session = this.session(leg, dialog.agentId ?? '', {
      resumed: false, first: rang?.call.decision,
      variables: ctx ? headerVariables(ctx.req, this.deps.config.sip.headersToAgent) : undefined,
      callerId: ctx ? callerIdOf(ctx.req, ctx.from) : undefined,
    });
    if (rang) {
      for (const [ctx, r] of this.ringing) if (r === rang) this.ringing.delete(ctx);
      this.deps.registry.remove(rang.call.id);
      void rang.recorded.then(() => this.deps.callLog.answered(session.id));
    }
    this.deps.registry.add(session);
    session.start();
    if (rang) void rang.recorded.then(() => recordCallMedia(session.id, dialog, this.deps));
    else void this.deps.callLog.started(session).then(() => recordCallMedia(session.id, dialog, this.deps));
  }

  private agentInit(callId: string, from: string, to: string, variables: Record<string, string | number | boolean>,
    o: { transferStatus?: string; overrides?: Record<string, unknown> }) {
    const dynamicVariables = {
      ...variables,
      caller_id: from, called_number: to, sip_call_id: callId, ...(o.transferStatus ? { transfer_status: o.transferStatus } : {}),
    };
    return { dynamicVariables, overrides: o.overrides };
  }

  /** The agent conversation on a SIP leg (a new call, or the caller back from a failed transfer). */
  session(leg: SipCallLeg, agentId: string, o: {
    resumed: boolean; contextUpdate?: string; transferStatus?: string; id?: string; policy?: PartialCallPolicy;
    variables?: Record<string, string | number | boolean>; overrides?: Record<string, unknown>; onEnded?: (s: CallSession) => void;
    /** The conversation opened while it rang, or why there is none (the session then runs the agent-failure policy). */
    first?: AnswerDecision; callerId?: string;
  }): CallSession {
    const { config, log: rootLog } = this.deps;
    const log = rootLog.child({ callId: leg.providerCallId, leg: 'sip' });
    const from = leg.from.user ?? leg.from.uri;
    const to = leg.to.user ?? leg.to.uri;
    const defaults = this.agentInit(leg.providerCallId, o.callerId ?? from, to, o.variables ?? {}, o);
    const continued = o.resumed || o.id !== undefined || leg.dialog.direction !== 'inbound';
    let init: Promise<ConversationInit> | undefined;
    const connect = agentConnector(config, log)(agentId, () => (init ??= this.personalizedInit(leg.providerCallId, agentId, continued, defaults)));
    let first = o.first;
    const id = o.id ?? leg.providerCallId;
    const policy = this.deps.policies.resolve(agentId, o.policy);
    // A call back from a failed transfer keeps its first recording (finished when that part ended);
    // a broadcast handed to an agent goes on in the broadcast's.
    const recordings = this.deps.recordings;
    const recorded = recordings && ((policy.recording === 'on' && !o.resumed) || recordings.get(id)) ? recordings.record(id, leg) : leg;
    return new CallSession({
      id, direction: leg.dialog.direction, from: o.callerId ?? from, to, agentId, leg: recorded, log,
      metrics: this.deps.metrics, policy, onEnded: o.onEnded ?? this.deps.onEnded,
      resumed: o.resumed, initialContextUpdate: o.contextUpdate,
      createSpeechDetector: () => createCallerSpeechDetector(),
      connectAgent: (signal) => {
        const given = first;
        first = undefined;
        if (!given) return connect(signal);
        return 'link' in given ? Promise.resolve(given.link) : Promise.reject(new Error(given.failure));
      },
      beginTransfer: (s, request, rule) => leg.handOffOnTransfer(() => void this.transfer(leg, s.id, agentId, request, rule, o.policy)),
    });
  }

  /** Inbound calls merge the personalization webhook's answer (started at the INVITE) over the defaults. */
  private async personalizedInit(callId: string, agentId: string, continued: boolean, defaults: ConversationInit): Promise<ConversationInit> {
    const personalizer = this.deps.personalizer;
    if (!personalizer || continued) return defaults;
    const v = defaults.dynamicVariables ?? {};
    const request = { caller_id: String(v.caller_id ?? ''), agent_id: agentId, called_number: String(v.called_number ?? ''), call_sid: callId };
    return personalizer.initFor(callId, request, defaults);
  }

  /**
   * A broadcast on an answered SIP leg: the same BroadcastSession as on
   * Twilio, with SIP's own transfer and agent hand-over. SIP has no answering
   * machine detection, so every answer is treated as a person.
   */
  broadcastSession(leg: SipCallLeg, o: {
    id: string; agentId: string; broadcast: BroadcastSettings; onEnded: (s: BroadcastSession, outcome: BroadcastOutcome) => void;
    /** The per-call policy given to POST /calls (or the campaign's). */
    policy?: PartialCallPolicy;
  }): BroadcastSession {
    const policy = this.deps.policies.resolve(o.agentId, o.policy);
    const log = this.deps.log.child({ callId: o.id, leg: 'sip', kind: 'broadcast' });
    const recorded = policy.recording === 'on' && this.deps.recordings ? this.deps.recordings.record(o.id, leg) : leg;
    return new BroadcastSession({
      id: o.id, leg: recorded, from: leg.from.user ?? leg.from.uri, to: leg.to.user ?? leg.to.uri,
      broadcast: Promise.resolve(o.broadcast), tts: this.deps.tts, log,
      optOut: optOutToDoNotCall(this.deps.store),
      transfer: (destination) => {
        const rule = matchTransferRule(policy.transfer.rules, destination);
        if (!rule) return false;
        // The broadcast then ends with `transfer`: the leg hands the caller over instead of sending BYE.
        leg.handOffOnTransfer(() => void this.transfer(leg, o.id, o.agentId, { destination, source: 'dtmf', silent: true }, rule, o.policy));
        return true;
      },
      connectAgent: (chosen) => {
        const session = this.session(leg, chosen ?? o.agentId, { resumed: false, id: o.id, policy: o.policy });
        this.deps.registry.remove(o.id);
        this.deps.registry.add(session);
        session.start();
        return session;
      },
      onEnded: o.onEnded,
    });
  }

  /** Media options without G.722 (legs that play TTS: broadcasts). */
  get narrowbandMedia(): MediaOptions {
    const codecs = (this.media.codecs ?? DEFAULT_CODECS).filter((c) => c !== 'G722');
    return { ...this.media, codecs: codecs.length > 0 ? codecs : ['PCMU', 'PCMA'] };
  }

  /** The G.711 law outbound calls most likely carry: the first G.711 codec we offer. */
  get outboundLaw(): 'ulaw' | 'alaw' {
    return (this.media.codecs ?? DEFAULT_CODECS).find((c) => c !== 'G722') === 'PCMA' ? 'alaw' : 'ulaw';
  }

  /** The outbound trunk (SIP_CONFIG_FILE `outboundTrunk`). */
  get outboundTrunk(): TrunkConfig['outbound'] {
    const id = this.deps.config.sip.file.outboundTrunk;
    const trunk = id ? this.trunks.find((t) => t.id === id) : undefined;
    if (!trunk?.outbound) return undefined;
    return { ...trunk.outbound, mediaEncryption: trunk.mediaEncryption ?? this.deps.config.sip.mediaEncryption };
  }

  /** `callId` is the call record's id (the Call-ID inbound, our UUID outbound). */
  private async transfer(
    leg: SipCallLeg, callId: string, agentId: string, request: TransferRequest, rule: TransferRule, policy?: PartialCallPolicy,
  ): Promise<void> {
    const { sip } = this.deps.config;
    const trunk = this.outboundTrunk;
    const referDomain = sip.file.referDomain ?? trunk?.host;
    const result = await runSipTransfer(leg, request, rule, { srf: this.connection.srf, trunk, referDomain, media: this.media, tts: this.deps.tts, log: this.deps.log });
    const transfer = { to: rule.number, label: rule.label ?? null, source: request.source, outcome: result.outcome, via: result.via, finishedAt: Date.now() };
    await this.deps.store.calls.mergeMetadata(callId, { transfer }).catch(() => undefined);
    if (result.outcome === 'connected') {
      await this.deps.store.calls.end(callId, { reason: 'transfer', providerStatus: 'completed' }).catch(() => undefined);
      return;
    }
    // Not transferred: the caller is still on our leg; back to an agent, told why.
    const session = this.session(leg, agentId, {
      resumed: true, transferStatus: result.outcome, id: callId, policy,
      contextUpdate: `The transfer to a human did not go through (${result.outcome}). The caller is back with you: tell them and offer to help.`,
    });
    this.deps.registry.add(session);
    session.start();
  }
}
