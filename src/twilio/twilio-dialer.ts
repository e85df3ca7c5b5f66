import { randomUUID } from 'node:crypto';
import type { BroadcastSettings, Config } from '../../config/index.js';
import { backoffDelayMs, type BackoffPolicy } from '../calls/backoff.js';
import type { DialPacer } from '../calls/dial-pacer.js';
import type { MachineDetection, OutboundCallRequest, OutboundDialer, PlacedCall } from '../calls/outbound-dialer.js';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JsonValue, Store } from '../store/index.js';
import { classifyDialError, type DialFailure } from './dial-errors.js';
import type { TwilioRestClient } from './rest-client.js';

export const OUTBOUND_TWIML_PATH = '/twilio/outbound';
export const STATUS_CALLBACK_PATH = '/twilio/status';
export const AMD_CALLBACK_PATH = '/twilio/amd';

/** Clock skew allowed between our intent time and Twilio's date_created when looking for a call a lost answer created. */
const SKEW_MS = 2000;
const NO_RETRY: BackoffPolicy = { attempts: 0, baseMs: 1, maxMs: 1 };

const AMD_MODE: Record<Exclude<MachineDetection, 'off'>, string> = { detect: 'Enable', 'detect-message-end': 'DetectMessageEnd' };

/**
 * Places outbound calls through Twilio's REST API. The call record, with
 * everything the conversation needs, is written first: a crash after that
 * leaves an intent that can be reconciled, never an unrecorded dial.
 */
export class TwilioDialer implements OutboundDialer {
  constructor(
    private readonly deps: {
      config: Config; store: Store; rest: TwilioRestClient; log: Logger;
      /** This instance: it owns the calls it dials (reconciled by it after a crash). */
      instanceId?: string;
      /** The account's dial rate, taken before every REST create (retries too). */
      pacer?: DialPacer;
      /** Retries of transient create errors (429, 5xx, network). */
      retry?: BackoffPolicy;
      sleep?: (ms: number) => Promise<void>;
      random?: () => number;
      /** Synthesizes a broadcast's message ahead, so the person hears it the moment they answer. */
      prefetchBroadcast?: (b: BroadcastSettings) => Promise<void>;
    },
  ) {}

  async dial(req: OutboundCallRequest): Promise<PlacedCall> {
    const { config, store } = this.deps;
    const from = req.from ?? config.twilio.fromNumber;
    if (!from) throw new BridgeError('no-caller-id', 'no caller ID: pass "from" or set TWILIO_FROM_NUMBER', 400);
    const callId = randomUUID();
    const intentAt = Date.now();
    await store.calls.insert({
      id: callId, direction: 'outbound', provider: 'twilio', fromNumber: from, toNumber: req.to, agentId: req.agentId,
      status: 'queued', campaignId: req.campaignId ?? null, recipientId: req.recipientId ?? null, instanceId: this.deps.instanceId ?? null,
      metadata: {
        dynamicVariables: req.dynamicVariables ?? {}, overrides: (req.overrides ?? {}) as never, policy: (req.policy ?? {}) as never,
        machineDetection: req.machineDetection ?? 'off', intentAt,
        ...(req.broadcast ? { broadcast: req.broadcast as unknown as JsonValue } : {}),
      },
    });
    if (req.broadcast) await this.prefetch(callId, req.broadcast);
    const params = this.createParams(callId, from, req);
    let retries = 0;
    for (;;) {
      let failure: DialFailure;
      try {
        await this.deps.pacer?.next();
        const call = await this.deps.rest.calls.create(params);
        return await this.placed(callId, call.sid, req);
      } catch (err) {
        failure = classifyDialError(err);
      }
      const policy = this.deps.retry ?? NO_RETRY;
      const again = failure.transient && retries < policy.attempts;
      if (again) {
        const delay = backoffDelayMs(retries++, policy, this.deps.random);
        this.deps.log.warn({ callId, why: failure.why, retry: retries, delayMs: delay }, 'transient dial error; retrying unless the call was made');
        await (this.deps.sleep ?? sleep)(delay);
      }
      // A reset or 5xx may have come after Twilio created the call: look before dialling again (after
      // the backoff, so a call created just before the failure has had time to be listed).
      const created = failure.transient ? await this.createdAnyway(callId, req.to, from, intentAt) : undefined;
      if (created) return this.placed(callId, created, req);
      if (again) continue;
      await store.calls.end(callId, { reason: 'dial-failed', providerStatus: failure.transient ? null : 'failed', errorCode: failure.transient ? null : failure.code }).catch(() => undefined);
      if (failure.transient) {
        throw new BridgeError('dial-transient', `Twilio could not be reached after ${retries + 1} tries: ${failure.why}`, 503, { callId, retries });
      }
      throw new BridgeError('dial-failed', `Twilio refused the call: ${failure.why}`, 502, { callId, providerCode: failure.code, providerStatus: failure.status });
    }
  }

  private async placed(callId: string, sid: string, req: OutboundCallRequest): Promise<PlacedCall> {
    await this.deps.store.calls.setProviderCallId(callId, sid);
    this.deps.log.info({ callId, callSid: sid, to: req.to, campaignId: req.campaignId }, 'outbound call placed');
    return { callId, providerCallId: sid };
  }

  /**
   * The CallSid of the call a failed create made after all: the one Twilio's
   * status callback or TwiML request already named (their URLs carry our call
   * id), or else a call to `to` from `from` created since the intent that no
   * other record of ours holds.
   */
  private async createdAnyway(callId: string, to: string, from: string, intentAt: number): Promise<string | undefined> {
    try {
      const named = (await this.deps.store.calls.get(callId))?.providerCallId;
      if (named) return named;
      const calls = await this.deps.rest.calls.list({ to, from, limit: 20 });
      const known = new Set(await this.deps.store.calls.providerCallIdsTo(to, intentAt - SKEW_MS, callId));
      return calls.find((c) => c.dateCreated.getTime() >= intentAt - SKEW_MS && !known.has(c.sid))?.sid;
    } catch {
      return undefined; // cannot tell: the retry goes ahead (a transient failure here is likely the same outage)
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
