/**
 * One call as Twilio's voice engine runs it: fetch TwiML, execute verbs in order, follow
 * Redirect / action URLs, and hold on <Connect><Stream> until the BRIDGE closes the socket
 * (protocols.md §1.2: "Twilio runs nothing after it until your server closes the WebSocket").
 * Interruptions (caller hangs up, REST-style update) cut the current verb short; on a stream
 * Twilio then sends `stop` and closes (§3.4), which MediaStreamCaller.hangup() does.
 * A REST API stand-in can drive this class through start(), update() and hangup().
 */
import { callParams, resolveStreamUrl, resolveUrl, type CallStatus } from './call-params.js';
import { monotonicNow } from './frame-clock.js';
import { newSid } from './ids.js';
import { MediaStreamCaller } from './media-stream-caller.js';
import { fetchTwiml, type FetchContext, type RequestRecord, type TwimlSource } from './twiml-fetch.js';
import type { TwimlGather, TwimlStream, TwimlVerb } from './twiml-reader.js';
import type { FormParams } from './webhook-signer.js';
import type { CallEnded, CallEndHow, TwilioCallOptions } from './call-types.js';
import { renderCallHeard, sayDurationMs, type TwimlStep } from './call-timeline.js';
import { StatusCallbacks, streamEventParams } from './status-callbacks.js';
import { runDial, type DialRecord } from './dial-runner.js';
import { keysAt, type FarEndBehaviour } from './far-end.js';
import type { CallIdentity } from './call-params.js';

export type { CallEnded, CallEndHow, DialOutcome, TwilioCallOptions } from './call-types.js';

type Interrupt = { kind: 'caller-hangup' } | { kind: 'completed' } | { kind: 'update'; source: TwimlSource };
type VerbResult = { end: CallEnded } | { next: TwimlSource; params?: FormParams } | undefined;

export class TwilioCall {
  readonly streams: MediaStreamCaller[] = [];
  readonly twimlSteps: TwimlStep[] = [];
  readonly requests: RequestRecord[] = [];
  /** Every <Dial> run with far ends (legs, whisper, timings), in order. */
  readonly dials: DialRecord[] = [];
  readonly ended: Promise<CallEnded>;
  readonly startMs = monotonicNow();
  private resolveEnded!: (e: CallEnded) => void;
  private endedInfo: CallEnded | undefined;
  private interrupt: Interrupt | undefined;
  private wake: () => void = () => undefined;
  private readonly fetchCtx: FetchContext;
  private readonly callbacks: StatusCallbacks;
  private gathers = 0;

  constructor(private readonly opts: TwilioCallOptions) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.fetchCtx = {
      authToken: opts.authToken,
      signature: opts.signature,
      record: (r) => this.requests.push(r),
      nowMs: () => this.nowMs(),
    };
    this.callbacks = new StatusCallbacks(opts.authToken, this.fetchCtx.record, this.fetchCtx.nowMs, opts.signature);
  }

  get callSid(): string {
    return this.opts.identity.callSid;
  }

  get accountSid(): string {
    return this.opts.identity.accountSid;
  }

  /** How the call ended, once it has. */
  get result(): CallEnded | undefined {
    return this.endedInfo;
  }

  nowMs(): number {
    return monotonicNow() - this.startMs;
  }

  /** Runs the call from its first TwiML request (`status` is CallStatus on that request). */
  start(source: TwimlSource, status: CallStatus): void {
    void this.run(source, status).then(
      (end) => this.finish(end),
      (err: Error) => this.finish(this.endWith('error', `stand-in failure: ${err.stack ?? err.message}`)),
    );
  }

  /** The caller hangs up: the current verb stops; an open stream gets `stop`. */
  hangup(): Promise<CallEnded> {
    this.setInterrupt({ kind: 'caller-hangup' });
    return this.ended;
  }

  /** Like REST `calls(sid).update(...)` (§3.4): new TwiML replaces the running verb, or the call ends. */
  update(u: { url?: string; method?: 'GET' | 'POST'; twiml?: string; status?: 'completed' | 'canceled' }): void {
    if (u.status) return this.setInterrupt({ kind: 'completed' });
    // "If both url and twiml are given, twiml is ignored" (§3.1).
    const source: TwimlSource = u.url ? { url: u.url, method: u.method } : { twiml: u.twiml ?? '', baseUrl: 'https://api.twilio.com/' };
    this.setInterrupt({ kind: 'update', source });
  }

  /** Everything the caller heard from the bridge on the call's own timeline (PCM16 8 kHz). */
  heardPcm(): Int16Array {
    return renderCallHeard(this.startMs, this.streams, this.endedInfo?.atMs ?? this.nowMs());
  }

  private setInterrupt(i: Interrupt): void {
    if (this.endedInfo || this.interrupt?.kind === 'caller-hangup') return;
    this.interrupt = i;
    this.wake();
  }

  private takeInterrupt(): VerbResult {
    const i = this.interrupt;
    this.interrupt = undefined;
    if (!i) return undefined;
    if (i.kind === 'caller-hangup') return { end: this.endWith('caller-hangup', 'the caller hung up') };
    if (i.kind === 'completed') return { end: this.endWith('completed-by-api', 'call updated to completed') };
    this.step('Update', { source: i.source });
    return { next: i.source };
  }

  private async run(source: TwimlSource, firstStatus: CallStatus): Promise<CallEnded> {
    let next: VerbResult = { next: source };
    let status = firstStatus;
    for (let docs = 0; next && 'next' in next; docs++) {
      if (docs >= (this.opts.maxDocuments ?? 100)) return this.endWith('error', 'too many TwiML documents (redirect loop?)');
      const out = await fetchTwiml(this.fetchCtx, next.next, callParams(this.opts.identity, status, next.params));
      const interrupted = this.takeInterrupt();
      if (interrupted) { next = interrupted; continue; }
      if (!out.ok) {
        const how = docs === 0 && out.twilioError === 11200 && out.status !== undefined ? 'rejected' : 'error';
        return { ...this.endWith(how, out.detail), twilioError: out.twilioError, status: out.status };
      }
      status = 'in-progress';
      next = await this.runDocument(out.doc.verbs, out.url);
    }
    return next?.end ?? this.endWith('error', 'internal: no end');
  }

  private async runDocument(verbs: TwimlVerb[], docUrl: string): Promise<VerbResult> {
    for (const verb of verbs) {
      const result = (await this.exec(verb, docUrl)) ?? this.takeInterrupt();
      if (result) return result;
    }
    // Twilio ends the call when it runs out of verbs.
    return { end: this.endWith('end-of-twiml', 'no more TwiML verbs') };
  }

  private async exec(verb: TwimlVerb, docUrl: string): Promise<VerbResult> {
    const scale = this.opts.verbTimeScale ?? 0;
    switch (verb.verb) {
      case 'Connect':
        return this.connect(verb, docUrl);
      case 'Say': {
        const durationMs = sayDurationMs(verb.text) * verb.loop;
        this.step('Say', { text: verb.text, voice: verb.voice, durationMs });
        return void (await this.pause(durationMs * scale));
      }
      case 'Play':
        this.step('Play', { url: verb.url, loop: verb.loop });
        return void (await this.pause(1000 * verb.loop * scale));
      case 'Pause':
        this.step('Pause', { lengthSec: verb.lengthSec });
        return void (await this.pause(verb.lengthSec * 1000 * scale));
      case 'Hangup':
        this.step('Hangup', {});
        return { end: this.endWith('hangup', '<Hangup/>') };
      case 'Redirect':
        this.step('Redirect', { url: verb.url, method: verb.method });
        return { next: { url: resolveUrl(verb.url, docUrl), method: httpMethod(verb.method) } };
      case 'Dial':
        return this.opts.farEnds ? this.dialFarEnds(verb, docUrl) : this.dial(verb, docUrl, scale);
      case 'Gather':
        return this.gather(verb, docUrl);
      case 'Unknown':
        this.step('Unknown', { name: verb.name, attributes: verb.attributes });
        return undefined;
    }
  }

  private async connect(verb: Extract<TwimlVerb, { verb: 'Connect' }>, docUrl: string): Promise<VerbResult> {
    const step = this.step('Connect', { action: verb.action, streamUrl: verb.stream?.url });
    if (!verb.stream) return undefined;
    const url = resolveStreamUrl(verb.stream.url, docUrl);
    const first = this.streams.length === 0;
    const stream = new MediaStreamCaller({
      url,
      authToken: this.opts.authToken,
      callSid: this.callSid,
      accountSid: this.opts.identity.accountSid,
      customParameters: verb.stream.parameters,
      signature: this.opts.streamSignature,
      audio: first ? this.opts.callerAudio : undefined,
      keepStreaming: this.opts.keepStreaming,
    });
    this.streams.push(stream);
    this.opts.onStream?.(stream, this.streams.length - 1);
    const notify = this.streamNotifier(verb.stream, stream, docUrl);
    void stream.ready.then(() => notify('stream-started'), () => undefined);
    if (await this.until(stream.closed)) await stream.hangup();
    const closed = await stream.closed;
    notify(closed.by === 'rejected' ? 'stream-error' : 'stream-stopped', closed.by === 'rejected' ? closed.reason : undefined);
    Object.assign(step.detail, { streamSid: stream.streamSid, closedBy: closed.by, closeCode: closed.code, closeReason: closed.reason });
    step.endMs = this.nowMs();
    if (this.interrupt) return undefined; // takeInterrupt() decides what happens next
    // The bridge closed the socket: Twilio requests the action URL, or runs the next verb (§1.2).
    if (verb.action) return { next: { url: resolveUrl(verb.action, docUrl), method: httpMethod(verb.method) } };
    return undefined;
  }

  private streamNotifier(def: TwimlStream, stream: MediaStreamCaller, docUrl: string) {
    return (event: 'stream-started' | 'stream-stopped' | 'stream-error', error?: string): void => {
      if (!def.statusCallback) return;
      const ids = { accountSid: this.accountSid, callSid: this.callSid, streamSid: stream.streamSid, name: def.name };
      this.callbacks.send(resolveUrl(def.statusCallback, docUrl), streamEventParams(ids, event, error), httpMethod(def.statusCallbackMethod));
    };
  }

  private async dial(verb: Extract<TwimlVerb, { verb: 'Dial' }>, docUrl: string, scale: number): Promise<VerbResult> {
    const outcome = this.opts.dialOutcome ?? { status: 'completed', durationSec: 0 };
    const numbers = verb.numbers.map((n) => ({ number: n.number, url: n.url }));
    this.step('Dial', { numbers, text: verb.text, action: verb.action, attributes: verb.attributes, outcome });
    await this.pause(outcome.durationSec * 1000 * scale);
    if (!verb.action || this.interrupt) return undefined;
    const params = { DialCallStatus: outcome.status, DialCallSid: newSid('CA'), DialCallDuration: String(outcome.durationSec) };
    return { next: { url: resolveUrl(verb.action, docUrl), method: httpMethod(verb.method) }, params };
  }

  /**
   * <Gather>: the prompt plays, then this call's party presses `gatherInput(n)` right away, or
   * nothing and the Gather times out (timeout × timeScale). Digits go to `action` (default: this
   * document) as `Digits`; no input runs the next verb (or `action` with actionOnEmptyResult).
   */
  private async gather(verb: TwimlGather, docUrl: string): Promise<VerbResult> {
    const index = this.gathers++;
    const step = this.step('Gather', { numDigits: verb.numDigits, timeoutSec: verb.timeoutSec, action: verb.action });
    for (const p of verb.prompt) {
      await this.exec(p, docUrl);
      if (this.interrupt) return undefined;
    }
    let digits = verb.input === 'speech' ? undefined : this.opts.gatherInput?.(index);
    if (digits && verb.numDigits) digits = digits.slice(0, verb.numDigits);
    if (!digits) await this.pause(verb.timeoutSec * 1000 * (this.opts.timeScale ?? 1));
    Object.assign(step.detail, { digits: digits ?? '' });
    step.endMs = this.nowMs();
    if (this.interrupt || (!digits && !verb.actionOnEmptyResult)) return undefined;
    const url = verb.action ? resolveUrl(verb.action, docUrl) : docUrl;
    return { next: { url, method: httpMethod(verb.method) }, params: { Digits: digits ?? '', FinishedOnKey: '' } };
  }

  /** <Dial> through the far ends (dial-runner.ts): ring, whisper, bridge, then the action. */
  private async dialFarEnds(verb: Extract<TwimlVerb, { verb: 'Dial' }>, docUrl: string): Promise<VerbResult> {
    const run = runDial(
      {
        parent: this.opts.identity,
        farEnds: this.opts.farEnds!,
        msPerSecond: 1000 * (this.opts.timeScale ?? 1),
        nowMs: () => this.nowMs(),
        createWhisperCall: (identity, fe) => this.whisperCall(identity, fe),
        whisperDeclineStatus: this.opts.whisperDeclineStatus,
      },
      verb,
      docUrl,
    );
    this.dials.push(run.record);
    const numbers = verb.numbers.map((n) => ({ number: n.number, url: n.url }));
    const step = this.step('Dial', { numbers, text: verb.text, action: verb.action, attributes: verb.attributes, dial: run.record });
    const interrupted = await this.until(run.done);
    if (interrupted) run.cancel();
    const result = await run.done;
    Object.assign(step.detail, { outcome: result });
    step.endMs = this.nowMs();
    if (interrupted || this.interrupt || !verb.action) return undefined;
    return { next: { url: resolveUrl(verb.action, docUrl), method: httpMethod(verb.method) }, params: { ...result } };
  }

  /** The child leg of a <Dial> running its <Number url> whisper; same signing and time scales. */
  private whisperCall(identity: CallIdentity, fe: FarEndBehaviour): TwilioCall {
    return new TwilioCall({
      identity,
      authToken: this.opts.authToken,
      signature: this.opts.signature,
      streamSignature: this.opts.streamSignature,
      verbTimeScale: this.opts.verbTimeScale,
      timeScale: this.opts.timeScale,
      gatherInput: (i) => keysAt(fe, i),
    });
  }

  /** Waits for `p` unless interrupted first; returns true when interrupted. */
  private async until(p: Promise<unknown>): Promise<boolean> {
    if (this.interrupt) return true;
    const woken = new Promise<true>((r) => (this.wake = () => r(true)));
    const result = await Promise.race([p.then(() => false), woken]);
    this.wake = () => undefined;
    return result;
  }

  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await this.until(new Promise((r) => (timer = setTimeout(r, ms))));
    clearTimeout(timer);
  }

  private step(verb: string, detail: Record<string, unknown>): TwimlStep {
    const s: TwimlStep = { atMs: this.nowMs(), verb, detail };
    this.twimlSteps.push(s);
    return s;
  }

  private endWith(how: CallEndHow, detail: string): CallEnded {
    return { how, detail, atMs: this.nowMs() };
  }

  private async finish(end: CallEnded): Promise<void> {
    if (this.endedInfo) return;
    this.endedInfo = end;
    await Promise.all(this.streams.map((s) => s.hangup()));
    if (this.opts.statusCallback && end.how !== 'rejected') {
      const duration = String(Math.round(end.atMs / 1000));
      this.callbacks.send(this.opts.statusCallback, callParams(this.opts.identity, 'completed', { CallDuration: duration }));
    }
    await this.callbacks.drain();
    this.resolveEnded(end);
  }
}

function httpMethod(m: string | undefined): 'GET' | 'POST' {
  return m?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}
