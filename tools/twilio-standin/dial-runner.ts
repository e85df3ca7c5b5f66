/**
 * `<Dial>` as Twilio runs it (protocols.md §3.5; TwiML <Dial>/<Number> references):
 * every `<Number>` is a child call (Direction outbound-dial, ParentCallSid) rung in parallel
 * for `timeout` seconds (default 30). When a far end answers and the `<Number>` has a `url`,
 * the whisper TwiML runs on THAT leg (signed request with the child's parameters) while the
 * caller keeps hearing ringing; the whisper running out of verbs bridges the legs, `<Hangup/>`
 * declines. The first leg to be bridged wins and the others are cancelled. The bridged leg
 * lasts until the far end hangs up (its `hangupAfterMs`), `timeLimit`, or the parent is
 * interrupted (caller hangs up, REST update). The result is what Twilio posts to `action`:
 * DialCallStatus, DialCallSid, DialCallDuration.
 */
import type { CallIdentity, CallStatus } from './call-params.js';
import { resolveUrl } from './call-params.js';
import type { CallEnded } from './call-types.js';
import type { TwimlStep } from './call-timeline.js';
import { isAnswering, planRing, sleep, type FarEndBehaviour, type FarEnds } from './far-end.js';
import { newSid } from './ids.js';
import type { RequestRecord, TwimlSource } from './twiml-fetch.js';
import type { TwimlVerb } from './twiml-reader.js';

export type DialCallStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';

/** What the whisper's far end got: the child call's TwiML steps and requests. */
export interface WhisperRecord {
  url: string;
  steps: TwimlStep[];
  requests: RequestRecord[];
  /** Say texts and Play URLs in order: what the operator heard. */
  heard: string[];
  /** Keys pressed at each Gather ('' = none). */
  digits: string[];
  result: 'accepted' | 'declined' | 'error';
  ended?: CallEnded;
}

export interface DialLeg {
  callSid: string;
  to: string;
  from: string;
  farEnd: FarEndBehaviour;
  status: CallStatus;
  /** Times in ms on the PARENT call's timeline. */
  initiatedMs: number;
  ringingMs?: number;
  answeredMs?: number;
  bridgedMs?: number;
  endedMs?: number;
  whisper?: WhisperRecord;
  /** Why the leg did not bridge: busy, no-answer, failed, declined, canceled. */
  outcome?: 'bridged' | 'busy' | 'no-answer' | 'failed' | 'declined' | 'canceled';
}

export interface DialRecord {
  atMs: number;
  endMs?: number;
  timeoutSec: number;
  answerOnBridge: boolean;
  callerId?: string;
  timeLimitSec?: number;
  action?: string;
  legs: DialLeg[];
  /** What `action` gets (also set when there is no action). */
  result?: { DialCallStatus: DialCallStatus; DialCallSid: string; DialCallDuration: string };
}

/** A whisper call: TwilioCall for the child leg, built by the engine (avoids an import cycle). */
export interface WhisperCall {
  readonly twimlSteps: TwimlStep[];
  readonly requests: RequestRecord[];
  readonly ended: Promise<CallEnded>;
  start(source: TwimlSource, status: CallStatus): void;
  hangup(): Promise<CallEnded>;
}

export interface DialContext {
  parent: CallIdentity;
  farEnds: FarEnds;
  /** Real ms per Twilio second (timeouts). */
  msPerSecond: number;
  nowMs: () => number;
  createWhisperCall: (identity: CallIdentity, farEnd: FarEndBehaviour) => WhisperCall;
  /** DialCallStatus when a whisper declines (default 'no-answer'; [Unverified] what Twilio reports). */
  whisperDeclineStatus?: DialCallStatus;
}

export interface DialRun {
  record: DialRecord;
  /** Resolves when the Dial is over (never rejects). */
  done: Promise<DialRecord['result'] & object>;
  /** The parent was interrupted: cancel ringing legs, hang up whispers and the bridged leg. */
  cancel(): void;
}

type LegEnd = { bridged: false } | { bridged: true };

export function runDial(ctx: DialContext, verb: Extract<TwimlVerb, { verb: 'Dial' }>, docUrl: string): DialRun {
  const a = verb.attributes;
  const timeoutSec = positive(a.timeout, 30);
  const timeLimitSec = a.timeLimit === undefined ? undefined : positive(a.timeLimit, 14_400);
  const record: DialRecord = {
    atMs: ctx.nowMs(),
    timeoutSec,
    answerOnBridge: a.answerOnBridge === 'true',
    callerId: a.callerId,
    timeLimitSec,
    action: verb.action,
    legs: [],
  };
  const numbers = verb.numbers.length > 0 ? verb.numbers : verb.text ? [{ number: verb.text, attributes: {} } as const] : [];
  const abort = new AbortController();
  const winner = new AbortController(); // aborted once a leg is bridged: the others stop
  const from = a.callerId ?? ctx.parent.from;

  const runLeg = async (n: (typeof numbers)[number]): Promise<LegEnd> => {
    const fe = ctx.farEnds(n.number);
    const leg: DialLeg = { callSid: newSid('CA'), to: n.number, from, farEnd: fe, status: 'queued', initiatedMs: ctx.nowMs() };
    record.legs.push(leg);
    const signal = AbortSignal.any([abort.signal, winner.signal]);
    const end = (status: CallStatus, outcome: NonNullable<DialLeg['outcome']>): LegEnd => {
      leg.status = status;
      leg.outcome = outcome;
      leg.endedMs = ctx.nowMs();
      return { bridged: false };
    };
    const plan = planRing(fe, timeoutSec * ctx.msPerSecond);
    if (plan.rings) { leg.status = 'ringing'; leg.ringingMs = ctx.nowMs(); }
    if (!(await sleep(plan.afterMs, signal))) return end('canceled', 'canceled');
    if (plan.result !== 'answered') return end(plan.result, plan.result);
    leg.status = 'in-progress';
    leg.answeredMs = ctx.nowMs();
    const url = 'url' in n ? n.url : undefined;
    if (url) {
      const identity: CallIdentity = {
        callSid: leg.callSid,
        accountSid: ctx.parent.accountSid,
        from,
        to: n.number,
        direction: 'outbound-dial',
        extraParams: { ParentCallSid: ctx.parent.callSid },
      };
      const call = ctx.createWhisperCall(identity, fe);
      const whisper: WhisperRecord = { url: resolveUrl(url, docUrl), steps: call.twimlSteps, requests: call.requests, heard: [], digits: [], result: 'error' };
      leg.whisper = whisper;
      call.start({ url: whisper.url, method: httpMethod('method' in n ? n.method : undefined) }, 'in-progress');
      const onAbort = (): void => void call.hangup();
      signal.addEventListener('abort', onAbort, { once: true });
      const ended = await call.ended;
      signal.removeEventListener('abort', onAbort);
      whisper.ended = ended;
      for (const s of call.twimlSteps) {
        if (s.verb === 'Say') whisper.heard.push(String(s.detail.text));
        if (s.verb === 'Play') whisper.heard.push(String(s.detail.url));
        if (s.verb === 'Gather') whisper.digits.push(String(s.detail.digits ?? ''));
      }
      whisper.result = ended.how === 'end-of-twiml' ? 'accepted' : ended.how === 'error' ? 'error' : 'declined';
      if (signal.aborted) return end('completed', 'canceled');
      if (whisper.result !== 'accepted') return end('completed', 'declined');
    }
    if (winner.signal.aborted) return end('completed', 'canceled');
    winner.abort();
    leg.bridgedMs = ctx.nowMs();
    leg.outcome = 'bridged';
    // Bridged: until the far end hangs up, the time limit, or the parent is interrupted.
    const talkMs = Math.min(isAnswering(fe) ? fe.hangupAfterMs ?? Infinity : Infinity, (timeLimitSec ?? Infinity) * ctx.msPerSecond);
    await sleep(talkMs, abort.signal);
    leg.status = 'completed';
    leg.endedMs = ctx.nowMs();
    return { bridged: true };
  };

  const done = Promise.all(numbers.map((n) => runLeg(n))).then((ends) => {
    record.endMs = ctx.nowMs();
    const bridged = record.legs.find((l) => l.outcome === 'bridged');
    const first = bridged ?? record.legs[0];
    const durationMs = bridged ? (bridged.endedMs ?? record.endMs) - (bridged.answeredMs ?? record.endMs) : 0;
    record.result = {
      DialCallStatus: ends.some((e) => e.bridged) ? 'completed' : aggregate(record.legs, ctx.whisperDeclineStatus ?? 'no-answer'),
      DialCallSid: first?.callSid ?? newSid('CA'),
      DialCallDuration: String(Math.round(durationMs / 1000)),
    };
    return record.result;
  });
  return { record, done, cancel: () => abort.abort() };
}

/** The Dial's status when no leg bridged: the "closest" any leg got. */
function aggregate(legs: DialLeg[], declined: DialCallStatus): DialCallStatus {
  const outcomes = new Set(legs.map((l) => l.outcome));
  if (outcomes.has('canceled')) return 'canceled';
  if (outcomes.has('declined')) return declined;
  if (outcomes.has('no-answer')) return 'no-answer';
  if (outcomes.has('busy')) return 'busy';
  return 'failed';
}

function positive(v: string | undefined, fallback: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function httpMethod(m: string | undefined): 'GET' | 'POST' {
  return m?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}
