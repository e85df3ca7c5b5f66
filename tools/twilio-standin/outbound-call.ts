/**
 * One call created through REST `calls.create` (protocols.md §3.1–3.3), as Twilio runs it:
 * queued → initiated → ringing → (far end) in-progress | busy | no-answer | failed | canceled →
 * completed, with signed status callbacks for the requested events (sent one after another, so
 * they arrive in order), answering machine detection (synchronous: AnsweredBy on the TwiML
 * request; AsyncAmd: a signed POST to AsyncAmdStatusCallback), then the call's TwiML
 * (Url, or Twiml) run by the TwilioCall engine with Direction outbound-api.
 */
import { detectAnswer, type AnsweredBy, type MachineDetection } from './amd.js';
import { callParams, type CallDirection, type CallIdentity, type CallStatus } from './call-params.js';
import type { CallEnded } from './call-types.js';
import type { DialCallStatus } from './dial-runner.js';
import { isAnswering, keysAt, planRing, sleep, type FarEndBehaviour, type FarEnds } from './far-end.js';
import { monotonicNow } from './frame-clock.js';
import { TwilioCall } from './twilio-call.js';
import type { RequestRecord, TwimlSource } from './twiml-fetch.js';
import { sendSignedRequest, type FormParams, type SignatureMode } from './webhook-signer.js';

export type StatusCallbackEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const STATUS_CALLBACK_EVENTS: readonly StatusCallbackEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

/** A validated `POST …/Calls.json` (wire names in rest-routes.ts). */
export interface CreateCallRequest {
  to: string;
  from: string;
  source: TwimlSource;
  statusCallback?: string;
  statusCallbackMethod: 'GET' | 'POST';
  /** Without StatusCallbackEvent, only `completed` is sent (§3.1). */
  statusCallbackEvents: StatusCallbackEvent[];
  timeoutSec: number;
  timeLimitSec?: number;
  machineDetection?: MachineDetection;
  asyncAmd: boolean;
  asyncAmdStatusCallback?: string;
  asyncAmdStatusCallbackMethod: 'GET' | 'POST';
  machineDetectionTimeoutSec: number;
  machineDetectionSpeechThresholdMs: number;
  /** Every wire parameter as sent (repeated ones joined in arrays). */
  params: Record<string, string[]>;
}

export interface CallUpdate {
  status?: 'completed' | 'canceled';
  url?: string;
  method?: 'GET' | 'POST';
  twiml?: string;
}

export type UpdateResult = { ok: true } | { ok: false; code: number; message: string };

export interface CallHistoryEntry {
  /** ms since the call was created. */
  atMs: number;
  /** A status (queued, ringing, in-progress, busy, …), 'initiated', 'amd', 'twiml', 'update', 'far-end-hangup'. */
  event: string;
  detail?: Record<string, unknown>;
}

/** What the stand-in keeps about any call it knows: REST-created or adopted (inbound) ones. */
export interface StandinCall {
  readonly sid: string;
  readonly accountSid: string;
  readonly direction: CallDirection;
  readonly to: string;
  readonly from: string;
  readonly status: CallStatus;
  readonly answeredBy: AnsweredBy | undefined;
  /** The TwiML engine, once the call is answered (immediately for adopted calls). */
  readonly engine: TwilioCall | undefined;
  readonly history: CallHistoryEntry[];
  /** Status/AMD callbacks sent for the call, in order. */
  readonly callbacks: RequestRecord[];
  readonly dateCreated: Date;
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly durationSec: number | undefined;
  /** Resolves when the call is over and its callbacks are delivered. */
  readonly done: Promise<void>;
  update(u: CallUpdate): UpdateResult;
  /** Ends the call now (stand-in shutdown): the far end hangs up or the attempt is cancelled. */
  hangup(): Promise<void>;
}

export const FINAL_STATUSES: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export interface OutboundCallOptions {
  sid: string;
  accountSid: string;
  authToken: string;
  request: CreateCallRequest;
  farEnd: FarEndBehaviour;
  /** For <Dial> legs inside this call. */
  farEnds: FarEnds;
  timeScale: number;
  verbTimeScale: number;
  signature?: SignatureMode;
  whisperDeclineStatus?: DialCallStatus;
  onStatus: (call: StandinCall, status: CallStatus) => void;
  /** The call's status/AMD callbacks wait for this before the first one is sent (see TwilioStandinOptions.holdCallbacks). */
  callbackGate?: (call: StandinCall) => Promise<unknown>;
}

const SIP_CODES: Partial<Record<CallStatus, string>> = { completed: '200', busy: '486', 'no-answer': '487', failed: '503', canceled: '487' };

export class OutboundCall implements StandinCall {
  readonly direction = 'outbound-api' as const;
  readonly history: CallHistoryEntry[] = [];
  readonly callbacks: RequestRecord[] = [];
  readonly dateCreated = new Date();
  readonly done: Promise<void>;
  status: CallStatus = 'queued';
  answeredBy: AnsweredBy | undefined;
  engine: TwilioCall | undefined;
  startTime: Date | undefined;
  endTime: Date | undefined;
  durationSec: number | undefined;
  private readonly t0 = monotonicNow();
  private readonly identity: CallIdentity;
  private source: TwimlSource;
  private sequence = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Aborted by REST cancel/complete (before the engine runs) or stand-in shutdown. */
  private readonly stop = new AbortController();
  private stopAs: CallStatus = 'canceled';
  /** Aborted when the call ends (far-end hangup timer, async AMD). */
  private readonly over = new AbortController();

  constructor(private readonly opts: OutboundCallOptions) {
    const r = opts.request;
    this.identity = { callSid: opts.sid, accountSid: opts.accountSid, from: r.from, to: r.to, direction: 'outbound-api' };
    this.source = r.source;
    this.note('queued');
    if (opts.callbackGate) this.chain = opts.callbackGate(this).then(() => undefined, () => undefined);
    this.done = this.run().catch((err: Error) => {
      this.note('error', { message: err.stack ?? err.message });
      this.setStatus('failed');
    });
  }

  get sid(): string {
    return this.opts.sid;
  }
  get accountSid(): string {
    return this.opts.accountSid;
  }
  get to(): string {
    return this.opts.request.to;
  }
  get from(): string {
    return this.opts.request.from;
  }
  get farEnd(): FarEndBehaviour {
    return this.opts.farEnd;
  }

  nowMs(): number {
    return monotonicNow() - this.t0;
  }

  update(u: CallUpdate): UpdateResult {
    if (FINAL_STATUSES.has(this.status)) {
      if (u.status) return { ok: true }; // ending an ended call changes nothing
      return { ok: false, code: 21220, message: 'Call is not in-progress. Cannot redirect.' };
    }
    this.note('update', { ...u });
    const answered = this.status === 'in-progress';
    if (u.status === 'canceled' && answered) return { ok: true }; // canceled only affects queued/ringing calls
    if (u.status) {
      if (this.engine) this.engine.update({ status: 'completed' });
      else {
        this.stopAs = answered ? 'completed' : 'canceled';
        this.stop.abort();
      }
      return { ok: true };
    }
    if (this.engine) this.engine.update(u);
    // Before the call runs its TwiML, new instructions replace the ones it will fetch.
    else this.source = u.url ? { url: u.url, method: u.method } : { twiml: u.twiml ?? '', baseUrl: 'https://api.twilio.com/' };
    return { ok: true };
  }

  async hangup(): Promise<void> {
    if (this.engine) await this.engine.hangup();
    else {
      this.stopAs = this.status === 'in-progress' ? 'completed' : 'canceled';
      this.stop.abort();
    }
    await this.done;
  }

  private async run(): Promise<void> {
    const r = this.opts.request;
    const fe = this.opts.farEnd;
    const signal = this.stop.signal;
    // Twilio dequeues the call and starts dialing.
    if (!(await sleep(0, signal))) return this.finish(this.stopAs);
    this.note('initiated');
    this.statusCallback('initiated', 'initiated');
    const plan = planRing(fe, r.timeoutSec * 1000 * this.opts.timeScale);
    if (plan.rings) {
      this.setStatus('ringing');
      this.statusCallback('ringing', 'ringing');
    }
    if (!(await sleep(plan.afterMs, signal))) return this.finish(this.stopAs);
    if (plan.result !== 'answered' || !isAnswering(fe)) return this.finish(plan.result === 'answered' ? 'failed' : plan.result);

    this.startTime = new Date();
    this.setStatus('in-progress');
    const amd = r.machineDetection
      ? detectAnswer(fe, {
          mode: r.machineDetection,
          timeoutMs: r.machineDetectionTimeoutSec * 1000 * this.opts.timeScale,
          speechThresholdMs: r.machineDetectionSpeechThresholdMs * this.opts.timeScale,
        })
      : undefined;
    const extraParams: FormParams = {};
    if (amd && !r.asyncAmd) {
      // Synchronous AMD: Twilio decides before it requests the TwiML (§3.3).
      if (!(await sleep(amd.durationMs, signal))) return this.finish(this.stopAs);
      this.answeredBy = amd.answeredBy;
      extraParams.AnsweredBy = amd.answeredBy;
      this.note('amd', { answeredBy: amd.answeredBy, durationMs: amd.durationMs });
    }
    this.statusCallback('answered', 'in-progress');

    const engine = new TwilioCall({
      identity: { ...this.identity, extraParams },
      authToken: this.opts.authToken,
      signature: this.opts.signature,
      callerAudio: fe.audio,
      verbTimeScale: this.opts.verbTimeScale,
      timeScale: this.opts.timeScale,
      farEnds: this.opts.farEnds,
      whisperDeclineStatus: this.opts.whisperDeclineStatus,
      gatherInput: (i) => keysAt(fe, i),
      onStream: (stream, index) => {
        if (index !== 0) return;
        for (const k of fe.streamKeys ?? []) void sleep(k.afterMs, this.over.signal).then((fired) => fired && stream.sendDtmf(k.key));
      },
    });
    this.engine = engine;
    this.note('twiml', { source: this.source });
    engine.start(this.source, 'in-progress');
    if (amd && r.asyncAmd) void this.asyncAmd(amd.answeredBy, amd.durationMs);
    const hangupAfter = Math.min(fe.hangupAfterMs ?? Infinity, (r.timeLimitSec ?? Infinity) * 1000 * this.opts.timeScale);
    void sleep(hangupAfter, this.over.signal).then((fired) => {
      if (!fired) return;
      this.note('far-end-hangup');
      void engine.hangup();
    });
    const ended: CallEnded = await engine.ended;
    this.note('ended', { how: ended.how, detail: ended.detail });
    return this.finish('completed');
  }

  private async asyncAmd(answeredBy: AnsweredBy, durationMs: number): Promise<void> {
    if (!(await sleep(durationMs, this.over.signal))) return;
    this.answeredBy = answeredBy;
    this.note('amd', { answeredBy, durationMs, async: true });
    const r = this.opts.request;
    if (!r.asyncAmdStatusCallback) return;
    this.enqueue(r.asyncAmdStatusCallback, r.asyncAmdStatusCallbackMethod, {
      CallSid: this.sid,
      AccountSid: this.accountSid,
      AnsweredBy: answeredBy,
      MachineDetectionDuration: String(Math.round(durationMs)),
    });
  }

  private async finish(status: CallStatus): Promise<void> {
    this.over.abort();
    this.endTime = new Date();
    this.durationSec = this.startTime ? Math.round((this.endTime.getTime() - this.startTime.getTime()) / 1000) : 0;
    this.setStatus(status);
    this.statusCallback('completed', status, { CallDuration: String(this.durationSec) });
    await this.chain;
  }

  private setStatus(status: CallStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.note(status);
    this.opts.onStatus(this, status);
  }

  /** `callStatus` is a CallStatus, or 'initiated', which exists only in callbacks (§3.2). */
  private statusCallback(event: StatusCallbackEvent, callStatus: CallStatus | 'initiated', more: FormParams = {}): void {
    const r = this.opts.request;
    if (!r.statusCallback || !r.statusCallbackEvents.includes(event)) return;
    const params = callParams(this.identity, 'queued', {
      CallStatus: callStatus,
      CallbackSource: 'call-progress-events',
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      SequenceNumber: String(this.sequence++),
      ...(this.answeredBy ? { AnsweredBy: this.answeredBy } : {}),
      ...(event === 'completed' && callStatus !== 'initiated' && SIP_CODES[callStatus] ? { SipResponseCode: SIP_CODES[callStatus]! } : {}),
      ...more,
    });
    this.enqueue(r.statusCallback, r.statusCallbackMethod, params);
  }

  /** Callbacks go out one after another, each signed, answers ignored (a failure is recorded as status 0). */
  private enqueue(url: string, method: 'GET' | 'POST', params: FormParams): void {
    const atMs = this.nowMs();
    this.chain = this.chain.then(async () => {
      let status = 0;
      try {
        const res = await sendSignedRequest({ authToken: this.opts.authToken, url, params, method, signature: this.opts.signature, timeoutMs: 5000 });
        status = res.status;
      } catch {
        status = 0;
      }
      this.callbacks.push({ atMs, url, method, params, status });
    });
  }

  private note(event: string, detail?: Record<string, unknown>): void {
    this.history.push(detail ? { atMs: this.nowMs(), event, detail } : { atMs: this.nowMs(), event });
  }
}
