import { randomUUID } from 'node:crypto';
import type { BroadcastSettings, Config } from '../../config/index.js';
import type { CallEvents } from '../calls/call-events.js';
import type { MachineDetection, OutboundCallRequest, OutboundDialer, PlacedCall } from '../calls/outbound-dialer.js';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JsonValue, Store } from '../store/index.js';
import type { TwilioRestClient } from './rest-client.js';

export const OUTBOUND_TWIML_PATH = '/twilio/outbound';
export const STATUS_CALLBACK_PATH = '/twilio/status';
export const AMD_CALLBACK_PATH = '/twilio/amd';

const AMD_MODE: Record<Exclude<MachineDetection, 'off'>, string> = { detect: 'Enable', 'detect-message-end': 'DetectMessageEnd' };

/**
 * Places outbound calls through Twilio's REST API. The call record, with
 * everything the conversation needs, is written first: a crash after that
 * leaves an intent that can be reconciled, never an unrecorded dial.
 */
export class TwilioDialer implements OutboundDialer {
  constructor(
    private readonly deps: {
      config: Config; store: Store; rest: TwilioRestClient; events: CallEvents; log: Logger;
      /** Synthesizes a broadcast's message ahead, so the person hears it the moment they answer. */
      prefetchBroadcast?: (b: BroadcastSettings) => Promise<void>;
    },
  ) {}

  async dial(req: OutboundCallRequest): Promise<PlacedCall> {
    const { config, store } = this.deps;
    const from = req.from ?? config.twilio.fromNumber;
    if (!from) throw new BridgeError('no-caller-id', 'no caller ID: pass "from" or set TWILIO_FROM_NUMBER', 400);
    const callId = randomUUID();
    await store.calls.insert({
      id: callId, direction: 'outbound', provider: 'twilio', fromNumber: from, toNumber: req.to, agentId: req.agentId,
      status: 'queued', campaignId: req.campaignId ?? null, recipientId: req.recipientId ?? null,
      metadata: {
        dynamicVariables: req.dynamicVariables ?? {}, overrides: (req.overrides ?? {}) as never, policy: (req.policy ?? {}) as never,
        machineDetection: req.machineDetection ?? 'off', intentAt: Date.now(),
        ...(req.broadcast ? { broadcast: req.broadcast as unknown as JsonValue } : {}),
      },
    });
    if (req.broadcast) await this.prefetch(callId, req.broadcast);
    try {
      const call = await this.deps.rest.calls.create(this.createParams(callId, from, req));
      await store.calls.setProviderCallId(callId, call.sid);
      this.deps.log.info({ callId, callSid: call.sid, to: req.to, campaignId: req.campaignId }, 'outbound call placed');
      return { callId, providerCallId: call.sid };
    } catch (err) {
      const message = (err as Error).message;
      await store.calls.end(callId, { status: 'failed', reason: 'error' }).catch(() => undefined);
      this.deps.events.emit({ callId, campaignId: req.campaignId ?? null, recipientId: req.recipientId ?? null, status: 'failed', endReason: 'error', at: Date.now() });
      throw new BridgeError('dial-failed', `Twilio refused the call: ${message}`, 502);
    }
  }

  /** A failed synthesis is not fatal here: playback will synthesize (or fail) again on answer. */
  private async prefetch(callId: string, b: BroadcastSettings): Promise<void> {
    try {
      await this.deps.prefetchBroadcast?.(b);
    } catch (err) {
      this.deps.log.warn({ callId, err: (err as Error).message }, 'broadcast message could not be synthesized ahead');
    }
  }

  private createParams(callId: string, from: string, req: OutboundCallRequest) {
    const base = this.deps.config.publicUrl;
    const amd = req.machineDetection && req.machineDetection !== 'off' ? AMD_MODE[req.machineDetection] : undefined;
    return {
      to: req.to,
      from,
      url: `${base}${OUTBOUND_TWIML_PATH}/${callId}`,
      method: 'POST',
      statusCallback: `${base}${STATUS_CALLBACK_PATH}/${callId}`,
      statusCallbackMethod: 'POST',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      timeout: req.ringTimeoutSeconds ?? 30,
      // Agent calls: async AMD connects the agent at once and reports later, no dead air for people (§3.3).
      // Broadcasts: synchronous AMD, so the TwiML request already says who answered (message or voicemail).
      ...(amd && req.broadcast ? { machineDetection: amd } : {}),
      ...(amd && !req.broadcast ? { machineDetection: amd, asyncAmd: 'true', asyncAmdStatusCallback: `${base}${AMD_CALLBACK_PATH}/${callId}`, asyncAmdStatusCallbackMethod: 'POST' } : {}),
    };
  }
}
