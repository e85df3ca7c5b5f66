import { randomUUID } from 'node:crypto';
import { dialWithMedia } from '../../sip/signaling/outbound-leg.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallSession } from '../call/call-session.js';
import type { CallEvents } from '../calls/call-events.js';
import type { OutboundCallRequest, OutboundDialer, PlacedCall } from '../calls/outbound-dialer.js';
import type { BroadcastSettings } from '../../config/index.js';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';
import type { BroadcastSession } from '../broadcast/broadcast-session.js';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallStatus, FinalCallStatus, Store } from '../store/index.js';
import { SipCallLeg } from './sip-call-leg.js';
import { recordCallMedia } from './call-media-security.js';
import type { Metrics } from '../metrics.js';
import type { SipService } from './sip-service.js';

const FAILURE_STATUS: Record<string, FinalCallStatus> = { busy: 'busy', 'no-answer': 'no-answer', canceled: 'canceled', 'auth-failed': 'failed', failed: 'failed' };

export interface SipDialerDeps {
  sip: SipService;
  store: Store;
  events: CallEvents;
  registry: CallRegistry;
  log: Logger;
  metrics: Metrics;
  onEnded: (s: CallSession) => void;
  onBroadcastEnded: (s: BroadcastSession, outcome: BroadcastOutcome) => void;
  /** Synthesizes a broadcast's texts before dialing, so the message starts on answer. */
  prefetchBroadcast: (b: BroadcastSettings) => Promise<void>;
  fromNumber?: string;
  /** This instance: owns the calls it places. */
  instanceId?: string;
}

/**
 * Outbound calls through the SIP trunk (OUTBOUND_PROVIDER=sip). The record is
 * stored before the INVITE; the result (answer → agent session, or busy,
 * no-answer, failed) is published as call events, as Twilio's callbacks are.
 */
export class SipDialer implements OutboundDialer {
  constructor(private readonly deps: SipDialerDeps) {}

  async dial(req: OutboundCallRequest): Promise<PlacedCall> {
    const trunk = this.deps.sip.outboundTrunk;
    if (!trunk) throw new BridgeError('no-trunk', 'no outbound SIP trunk configured (SIP_CONFIG_FILE outboundTrunk)', 503);
    const callId = randomUUID();
    await this.deps.store.calls.insert({
      id: callId, direction: 'outbound', provider: 'sip', toNumber: req.to, fromNumber: req.from ?? this.deps.fromNumber ?? null,
      agentId: req.agentId, status: 'queued', campaignId: req.campaignId ?? null, recipientId: req.recipientId ?? null,
      instanceId: this.deps.instanceId ?? null, metadata: { intentAt: Date.now() },
    });
    void this.place(callId, req, trunk);
    return { callId, providerCallId: callId };
  }

  private async place(callId: string, req: OutboundCallRequest, trunk: NonNullable<SipService['outboundTrunk']>): Promise<void> {
    const { store } = this.deps;
    if (req.broadcast) await this.deps.prefetchBroadcast(req.broadcast).catch((err: Error) => this.deps.log.warn({ err: err.message, callId }, 'broadcast prefetch failed; speaking on answer'));
    // A broadcast speaks TTS, which is G.711: its calls offer no G.722.
    const media = req.broadcast ? this.deps.sip.narrowbandMedia : this.deps.sip.media;
    const result = await dialWithMedia(this.deps.sip.connection.srf, trunk, req.to, media, {
      from: req.from ?? this.deps.fromNumber, ringTimeoutMs: (req.ringTimeoutSeconds ?? 30) * 1000, agentId: req.agentId,
      onProgress: (status: number) => { if (status === 180 || status === 183) this.emit(callId, req, 'ringing'); },
    }).catch((err: Error) => ({ ok: false as const, outcome: 'failed' as const, reason: err.message }));
    if (!result.ok) {
      const status = FAILURE_STATUS[result.outcome] ?? 'failed';
      // The final event reaches campaigns from the store's end (CallLifecycle), once.
      // The SIP answer is kept for the call_initiation_failure event (post-call-event.ts).
      const sipFailure = { statusCode: ('status' in result ? result.status : undefined) ?? null, reason: result.reason.slice(0, 500) };
      await store.calls.end(callId, { reason: 'provider-ended', providerStatus: status, metadata: { sipFailure } }).catch(() => undefined);
      return;
    }
    const leg = new SipCallLeg(result.leg);
    await store.calls.setProviderCallId(callId, leg.providerCallId).catch(() => undefined);
    await store.calls.markAnswered(callId).catch(() => undefined);
    if (this.deps.instanceId) await store.calls.attach(callId, this.deps.instanceId).catch(() => undefined);
    await recordCallMedia(callId, result.leg, { log: this.deps.log, metrics: this.deps.metrics, store });
    this.emit(callId, req, 'in-progress');
    if (req.broadcast) return this.startBroadcast(callId, req, leg, req.broadcast);
    const session = this.deps.sip.session(leg, req.agentId, {
      resumed: false, id: callId, variables: req.dynamicVariables, overrides: req.overrides, policy: req.policy,
      onEnded: (s) => this.deps.onEnded(s),
    });
    this.deps.registry.add(session);
    session.start();
  }

  private startBroadcast(callId: string, req: OutboundCallRequest, leg: SipCallLeg, broadcast: BroadcastSettings): void {
    const session = this.deps.sip.broadcastSession(leg, {
      id: callId, agentId: req.agentId, broadcast, policy: req.policy,
      onEnded: (s, outcome) => this.deps.onBroadcastEnded(s, outcome),
    });
    this.deps.registry.add(session);
    session.start();
  }

  private emit(callId: string, req: OutboundCallRequest, status: CallStatus, endReason?: CallSession['endReason']): void {
    this.deps.events.emit({ callId, campaignId: req.campaignId ?? null, recipientId: req.recipientId ?? null, status, endReason, at: Date.now() });
  }
}
