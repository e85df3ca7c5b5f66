import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { Config, TransferRule } from '../../config/index.js';
import type { CallPolicy } from '../call/call-policy.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { hangupTwiml } from '../twilio/after-stream.js';
import { connectStreamTwiml } from '../twilio/stream-params.js';
import type { TransferOutcome, TransferRequest } from './transfer-request.js';

export const WHISPER_PATH = '/twilio/transfer/whisper';
export const WHISPER_RESULT_PATH = '/twilio/transfer/whisper-result';
export const DIAL_RESULT_PATH = '/twilio/transfer/dial-result';

/** Everything needed to finish a transfer after the media stream has gone. */
export interface TransferRecord {
  id: string;
  callId: string;
  callSid: string;
  rule: TransferRule;
  mode: 'cold' | 'warm';
  request: TransferRequest;
  /** The stream parameters of the call, to bring the caller back to an agent. */
  context: Record<string, string>;
  fallback: CallPolicy['transfer']['fallback'];
  acceptKey: string;
  startedAt: number;
  operatorAnsweredAt?: number;
  /** Warm transfer: the operator pressed the accept key. */
  accepted?: boolean;
  outcome?: TransferOutcome;
  finishedAt?: number;
}

const TTL_MS = 30 * 60_000;

/**
 * Transfers on Twilio calls. The stream closes and Twilio asks our
 * `<Connect action>` what to do: this service answers with `<Dial>` (cold) or
 * `<Dial><Number url=whisper>` (warm), then decides from the dial result:
 * done, or back to an agent / the configured fallback.
 */
export class TwilioTransfers {
  private readonly transfers = new Map<string, TransferRecord>();

  constructor(private readonly deps: { config: Config; store: Store; log: Logger }) {}

  get(id: string): TransferRecord | undefined {
    return this.transfers.get(id);
  }

  begin(input: Omit<TransferRecord, 'id' | 'startedAt'>): { record: TransferRecord; twiml: string } {
    this.prune();
    const record: TransferRecord = { ...input, id: randomUUID(), startedAt: Date.now() };
    this.transfers.set(record.id, record);
    this.deps.log.info({ callId: record.callId, to: record.rule.number, mode: record.mode, source: record.request.source }, 'transfer starting');
    return { record, twiml: this.dialTwiml(record) };
  }

  /** TwiML run on the operator's leg when they answer (warm transfer). */
  whisper(id: string): string {
    const t = this.transfers.get(id);
    if (!t) return hangupTwiml();
    t.operatorAnsweredAt = Date.now();
    const r = new twilio.twiml.VoiceResponse();
    const gather = r.gather({ numDigits: 1, timeout: 8, action: `${this.deps.config.publicUrl}${WHISPER_RESULT_PATH}/${id}` });
    const brief = t.request.agentMessage ?? `Incoming transfer${t.request.reason ? `: ${t.request.reason}` : ''}.`;
    gather.say(`${brief} Press ${t.acceptKey} to accept the call, or any other key to decline.`);
    r.hangup(); // no key at all: declined
    return r.toString();
  }

  /** The operator's key after the whisper: an empty document bridges the call; hanging up declines it. */
  whisperResult(id: string, digits: string | undefined): string {
    const t = this.transfers.get(id);
    if (!t || digits !== t.acceptKey) return hangupTwiml();
    t.accepted = true;
    return new twilio.twiml.VoiceResponse().toString();
  }

  /** `<Dial action>`: the transfer's outcome, and what the caller gets next. */
  async dialResult(id: string, dialCallStatus: string): Promise<string> {
    const t = this.transfers.get(id);
    if (!t) return hangupTwiml();
    t.outcome = outcomeOf(dialCallStatus, t);
    t.finishedAt = Date.now();
    await this.record(t);
    if (t.outcome === 'connected') return hangupTwiml();
    return this.fallbackTwiml(t);
  }

  private dialTwiml(t: TransferRecord): string {
    const { publicUrl } = this.deps.config;
    const r = new twilio.twiml.VoiceResponse();
    const dial = r.dial({
      action: `${publicUrl}${DIAL_RESULT_PATH}/${t.id}`,
      timeout: t.rule.timeoutSeconds ?? 30,
      answerOnBridge: true,
      ...(t.rule.callerId || t.context.from ? { callerId: t.rule.callerId ?? t.context.from } : {}),
    });
    dial.number(t.mode === 'warm' ? { url: `${publicUrl}${WHISPER_PATH}/${t.id}` } : {}, t.rule.number);
    return r.toString();
  }

  private fallbackTwiml(t: TransferRecord): string {
    const r = new twilio.twiml.VoiceResponse();
    switch (t.fallback.action) {
      case 'agent':
        return connectStreamTwiml(this.deps.config, t.callSid, { ...t.context, resume: t.id, transferOutcome: t.outcome ?? 'failed' });
      case 'number':
        r.dial({ timeout: 30 }, t.fallback.number);
        return r.toString();
      case 'message':
        r.say(t.fallback.text);
        r.hangup();
        return r.toString();
      case 'hangup':
        return hangupTwiml();
    }
  }

  private async record(t: TransferRecord): Promise<void> {
    this.deps.log.info({ callId: t.callId, outcome: t.outcome, to: t.rule.number }, 'transfer finished');
    const transfer = {
      to: t.rule.number, label: t.rule.label ?? null, mode: t.mode, source: t.request.source, outcome: t.outcome ?? 'failed',
      startedAt: t.startedAt, operatorAnsweredAt: t.operatorAnsweredAt ?? null, finishedAt: t.finishedAt ?? null,
    };
    try {
      await this.deps.store.calls.mergeMetadata(t.callId, { transfer });
      if (t.outcome === 'connected') await this.deps.store.calls.end(t.callId, { reason: 'transfer' });
    } catch (err) {
      this.deps.log.error({ callId: t.callId, err: (err as Error).message }, 'could not record transfer outcome');
    }
  }

  private prune(now = Date.now()): void {
    for (const [id, t] of this.transfers) if (now - t.startedAt > TTL_MS) this.transfers.delete(id);
  }
}

/**
 * Twilio's DialCallStatus, corrected by what we know of the whisper: an
 * operator who answered but did not accept declined, whatever status the
 * ended child leg reports.
 */
function outcomeOf(status: string, t: TransferRecord): TransferOutcome {
  if (t.mode === 'warm' && t.operatorAnsweredAt !== undefined && !t.accepted) return 'declined';
  if (status === 'completed' || status === 'answered') return 'connected';
  if (status === 'busy' || status === 'no-answer') return status;
  return 'failed';
}
