import type { BroadcastSettings, Config, PartialCallPolicy, TransferRule } from '../../config/index.js';
import type { Recordings } from '../recording/recordings.js';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';
import { serveInbound } from '../../sip/signaling/inbound-call.js';
import { challengeDigest, checkCapacity, identifyTrunk, negotiateMedia, routeToAgent } from '../../sip/signaling/inbound-chain.js';
import { DEFAULT_CODECS, rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import type { TrunkConfig } from '../../sip/signaling/trunks.js';
import type { SrfLike } from '../../sip/signaling/srf-types.js';
import { agentConnector } from '../agent/agent-connector.js';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';
import { BroadcastSession, optOutToDoNotCall } from '../broadcast/broadcast-session.js';
import type { PolicyResolver } from '../call/call-policy.js';
import type { CallRegistry } from '../call/call-registry.js';
import { CallSession } from '../call/call-session.js';
import type { CallLog } from '../calls/call-log.js';
import type { Logger } from '../logger.js';
import { createCallerSpeechDetector } from '../media-adapters/caller-speech-detector.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/index.js';
import { matchTransferRule, type TransferRequest } from '../transfer/transfer-request.js';
import type { TtsService } from '../tts/tts-service.js';
import { SipCallLeg } from './sip-call-leg.js';
import { runSipTransfer } from './sip-transfer.js';
import type { Personalizer } from '../personalization/personalizer.js';
import { refuseUnpersonalized, startPersonalization } from './sip-personalization.js';
import type { ConversationInit } from '../agent/elevenlabs-protocol.js';

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
  private readonly trunks: TrunkConfig[];

  constructor(private readonly deps: SipServiceDeps) {
    const { sip } = deps.config;
    if (!sip.drachtio) throw new Error('SIP needs DRACHTIO_HOST');
    this.connection = new DrachtioConnection({ ...sip.drachtio, log: deps.log, srf: deps.srf });
    this.trunks = sip.file.trunks as TrunkConfig[];
    this.media = {
      ports: new PortAllocator({ min: sip.rtp.portMin, max: sip.rtp.portMax }),
      publicAddress: sip.publicAddress,
      factory: rtpSessionFactory({ bindAddress: sip.rtp.bindAddress, inactivityTimeoutMs: sip.rtp.inactivityMs }),
    };
  }

  get ready(): boolean {
    return this.connection.ready;
  }

  start(): void {
    const { sip } = this.deps.config;
    const digest = this.trunks.some((t) => t.inbound?.credentials);
    serveInbound(this.connection.srf, {
      publicAddress: sip.publicAddress,
      chain: [
        identifyTrunk(this.trunks),
        ...(digest ? [challengeDigest({ realm: 'voice-bridge' })] : []),
        routeToAgent({ ...sip.file.routes, defaultAgentId: sip.file.routes.defaultAgentId ?? this.deps.config.elevenlabs.agentId }),
        checkCapacity({ tryAcquire: () => (this.deps.registry.hasRoom() ? () => undefined : { status: 486, reason: 'Busy Here' }) }),
        ...(this.deps.personalizer ? [startPersonalization(this.deps.personalizer)] : []),
        negotiateMedia(this.media),
      ],
      ...(this.deps.personalizer ? { beforeAnswer: refuseUnpersonalized(this.deps.personalizer) } : {}),
      onCall: (leg) => this.onInbound(leg),
      onOutcome: (o) => { if (o.kind === 'rejected') this.deps.metrics.rejected.inc({ source: 'sip-invite', reason: String(o.status) }); },
    });
    this.connection.start();
  }

  stop(): void {
    this.connection.stop();
  }

  private onInbound(dialog: SipDialogLeg): void {
    const leg = new SipCallLeg(dialog);
    const session = this.session(leg, dialog.agentId ?? '', { resumed: false });
    this.deps.registry.add(session);
    session.start();
    void this.deps.callLog.started(session);
  }

  /** The agent conversation on a SIP leg (a new call, or the caller back from a failed transfer). */
  session(leg: SipCallLeg, agentId: string, o: {
    resumed: boolean; contextUpdate?: string; transferStatus?: string; id?: string;
    variables?: Record<string, string | number | boolean>; overrides?: Record<string, unknown>; onEnded?: (s: CallSession) => void;
    policy?: PartialCallPolicy;
  }): CallSession {
    const { config, log: rootLog } = this.deps;
    const log = rootLog.child({ callId: leg.providerCallId, leg: 'sip' });
    const from = leg.dialog.from.user ?? leg.dialog.from.uri;
    const to = leg.dialog.to.user ?? leg.dialog.to.uri;
    let init: Promise<ConversationInit> | undefined;
    const dynamicVariables = {
      ...o.variables,
      caller_id: from, called_number: to, sip_call_id: leg.providerCallId, ...(o.transferStatus ? { transfer_status: o.transferStatus } : {}),
    };
    const id = o.id ?? leg.providerCallId;
    const policy = this.deps.policies.resolve(agentId, o.policy);
    // A call back from a failed transfer keeps its first recording (finished when that part ended).
    const recorded = policy.recording === 'on' && !o.resumed && this.deps.recordings ? this.deps.recordings.record(id, leg) : leg;
    return new CallSession({
      id, direction: leg.dialog.direction, from, to, agentId, leg: recorded, log,
      metrics: this.deps.metrics, policy, onEnded: o.onEnded ?? this.deps.onEnded,
      resumed: o.resumed, initialContextUpdate: o.contextUpdate,
      createSpeechDetector: () => createCallerSpeechDetector(),
      connectAgent: agentConnector(config, log)(agentId, () => (init ??= this.initData(leg, agentId, o.resumed || o.id !== undefined, { dynamicVariables, overrides: o.overrides }))),
      beginTransfer: (s, request, rule) => leg.handOffOnTransfer(() => void this.transfer(leg, s.id, agentId, request, rule)),
    });
  }

  /** Inbound calls merge the personalization webhook's answer (started while ringing) over the defaults. */
  private async initData(leg: SipCallLeg, agentId: string, continued: boolean, defaults: ConversationInit): Promise<ConversationInit> {
    const personalizer = this.deps.personalizer;
    if (!personalizer || continued || leg.dialog.direction !== 'inbound') return defaults;
    const request = {
      caller_id: leg.dialog.from.user ?? leg.dialog.from.uri, agent_id: agentId,
      called_number: leg.dialog.to.user ?? leg.dialog.to.uri, call_sid: leg.providerCallId,
    };
    return personalizer.initFor(leg.providerCallId, request, defaults);
  }

  /**
   * A broadcast on an answered SIP leg: the same BroadcastSession as on
   * Twilio, with SIP's own transfer and agent hand-over. SIP has no answering
   * machine detection, so every answer is treated as a person.
   */
  broadcastSession(leg: SipCallLeg, o: {
    id: string; agentId: string; broadcast: BroadcastSettings; onEnded: (s: BroadcastSession, outcome: BroadcastOutcome) => void;
  }): BroadcastSession {
    const policy = this.deps.policies.resolve(o.agentId);
    const log = this.deps.log.child({ callId: o.id, leg: 'sip', kind: 'broadcast' });
    return new BroadcastSession({
      id: o.id, leg, from: leg.dialog.from.user ?? leg.dialog.from.uri, to: leg.dialog.to.user ?? leg.dialog.to.uri,
      broadcast: Promise.resolve(o.broadcast), tts: this.deps.tts, log,
      optOut: optOutToDoNotCall(this.deps.store),
      transfer: (destination) => {
        const rule = matchTransferRule(policy.transfer.rules, destination);
        if (!rule) return false;
        // The broadcast then ends with `transfer`: the leg hands the caller over instead of sending BYE.
        leg.handOffOnTransfer(() => void this.transfer(leg, o.id, o.agentId, { destination, source: 'dtmf', silent: true }, rule));
        return true;
      },
      connectAgent: (chosen) => {
        const session = this.session(leg, chosen ?? o.agentId, { resumed: false, id: o.id });
        this.deps.registry.remove(o.id);
        this.deps.registry.add(session);
        session.start();
        return session;
      },
      onEnded: o.onEnded,
    });
  }

  /** The G.711 law outbound calls most likely carry: the first codec we offer. */
  get outboundLaw(): 'ulaw' | 'alaw' {
    return (this.media.codecs ?? DEFAULT_CODECS)[0] === 'PCMA' ? 'alaw' : 'ulaw';
  }

  /** The outbound trunk (SIP_CONFIG_FILE `outboundTrunk`). */
  get outboundTrunk(): TrunkConfig['outbound'] {
    const id = this.deps.config.sip.file.outboundTrunk;
    return id ? this.trunks.find((t) => t.id === id)?.outbound : undefined;
  }

  /** `callId` is the call record's id (the Call-ID inbound, our UUID outbound). */
  private async transfer(leg: SipCallLeg, callId: string, agentId: string, request: TransferRequest, rule: TransferRule): Promise<void> {
    const { sip } = this.deps.config;
    const trunk = this.outboundTrunk;
    const referDomain = sip.file.referDomain ?? trunk?.host;
    const result = await runSipTransfer(leg, request, rule, { srf: this.connection.srf, trunk, referDomain, media: this.media, tts: this.deps.tts, log: this.deps.log });
    const transfer = { to: rule.number, label: rule.label ?? null, source: request.source, outcome: result.outcome, via: result.via, finishedAt: Date.now() };
    await this.deps.store.calls.mergeMetadata(callId, { transfer }).catch(() => undefined);
    if (result.outcome === 'connected') {
      await this.deps.store.calls.end(callId, { status: 'completed', reason: 'transfer' }).catch(() => undefined);
      return;
    }
    // Not transferred: the caller is still on our leg; back to an agent, told why.
    const session = this.session(leg, agentId, {
      resumed: true, transferStatus: result.outcome, id: callId,
      contextUpdate: `The transfer to a human did not go through (${result.outcome}). The caller is back with you: tell them and offer to help.`,
    });
    this.deps.registry.add(session);
    session.start();
  }
}
