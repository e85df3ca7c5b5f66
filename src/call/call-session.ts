import { parseAudioFormat } from '../../media/audio-format.js';
import type { AgentLink } from '../agent/agent-link.js';
import type { AgentEvent } from '../agent/elevenlabs-protocol.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import { clipFrames, type AudioClip } from './audio-clip.js';
import { Downlink, Uplink } from './audio-path.js';
import { legSilenceByte, type CallLeg, type CallLegHandler, type InboundAudio } from './call-leg.js';
import type { CallPolicy } from './call-policy.js';
import type { LiveCall } from './live-call.js';
import type { WatchdogState } from './call-watchdog.js';
import type { EndReason } from './end-reason.js';
import { decideAgentEvent, transferToolReply, type ToolReply } from './session-agent-events.js';
import { decideAnsweringMachine, decideDtmf, decideTransfer, decideWatchdog, type EndAction, type TransferResult } from './session-control.js';
import { CallerSpeech, type SpeechDetectorFactory } from './caller-speech.js';
import { TimerBag } from './timer-bag.js';
import type { TransferRequest } from '../transfer/transfer-request.js';
import type { TransferRule } from '../../config/index.js';
import { Transcript } from './transcript.js';

export type CallState = 'connecting' | 'active' | 'ending' | 'ended';

export interface CallSessionOptions {
  id: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  agentId: string;
  leg: CallLeg;
  policy: CallPolicy;
  /** Opens a conversation. `retry` is true for the one reconnection after a failure. */
  connectAgent: (signal: AbortSignal, retry: boolean) => Promise<AgentLink>;
  /** Per-call voice detector (only needed for the silence timeout); disposed at end. */
  createSpeechDetector?: SpeechDetectorFactory;
  log: Logger;
  metrics: Metrics;
  /** Hands the call to the provider's transfer machinery (e.g. Twilio `<Dial>` after the stream closes). */
  beginTransfer?: (session: CallSession, request: TransferRequest, rule: TransferRule, mode: 'cold' | 'warm') => void;
  /** Told to the agent as soon as the conversation starts (e.g. a failed transfer). */
  initialContextUpdate?: string;
  /** This session continues a call whose record already exists (back from a failed transfer). */
  resumed?: boolean;
  onEnded?: (session: CallSession) => void;
  /** Watchdog period; tests shorten it. */
  watchdogMs?: number;
}

const EARLY_AUDIO_FRAMES = 50; // 1 s of caller audio kept while the agent connects
const FINAL_MARK = 'final';
const HOLD_NOTICE_MS = 2000; // never more than 2 s of dead air caused by the bridge
const AGENT_QUIET_MS = 400; // after end_call, trailing agent audio may still arrive
const FINAL_MARK_SAFETY_MS = 3000;

/**
 * One call from the moment its leg exists to its end. Owns the leg, the agent
 * link, the audio paths, the transcript, every timer, and `end(reason)`, which
 * runs once. Twilio and SIP legs share all of this.
 */
export class CallSession implements CallLegHandler, LiveCall {
  readonly startedAt = Date.now();
  readonly transcript = new Transcript(this.startedAt);
  state: CallState = 'connecting';
  endReason: EndReason | undefined;
  endDetail = '';
  endedAt: number | undefined;
  conversationId: string | undefined;
  agent: AgentLink | undefined;
  uplink: Uplink | undefined;
  downlink: Downlink | undefined;
  lastInterruptId = -1;
  /** Queued audio of the current agent turn, for the heard part on barge-in. */
  turnQueuedMs = 0;
  private readonly watch: WatchdogState;
  readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly earlyAudio: InboundAudio[] = [];
  private readonly earlyDigits: string[] = [];
  private readonly warn: RateLimitedLog;
  private readonly timers = new TimerBag();
  private retried = false;
  private machineVerdict = false;
  private fallbackPlayedAt = -Infinity;
  private speech: CallerSpeech | undefined;
  private silentFrame: InboundAudio | undefined;
  private pendingEnd: { reason: EndReason; detail: string; drained: boolean } | undefined;
  private lastAgentAudioAt = 0;
  private endPromise: Promise<void> | undefined;
  readonly sendFrame = (frame: Uint8Array): void => {
    this.turnQueuedMs += 20;
    this.opts.leg.sendAudio(frame);
  };
  /** Set when the leg takes base64 frames (Twilio): see Downlink.push. */
  readonly sendFrameBase64: ((base64: string) => void) | undefined;

  constructor(readonly opts: CallSessionOptions) {
    this.log = opts.log;
    this.warn = new RateLimitedLog(opts.log);
    if (opts.leg.sendAudioBase64) {
      this.sendFrameBase64 = (base64) => {
        this.turnQueuedMs += 20;
        this.opts.leg.sendAudioBase64!(base64);
      };
    }
    const now = Date.now();
    this.watch = { startedAt: now, lastPhoneFrameAt: now, lastCallerSpeechAt: now, agentAudibleUntil: now, awaitingAgentSince: undefined };
  }

  get id(): string {
    return this.opts.id;
  }

  get leg(): CallLeg {
    return this.opts.leg;
  }

  get policy(): CallPolicy {
    return this.opts.policy;
  }

  get direction(): 'inbound' | 'outbound' {
    return this.opts.direction;
  }

  describe(withTranscript: boolean): Record<string, unknown> {
    return {
      id: this.id,
      provider_call_id: this.leg.providerCallId,
      leg: this.leg.kind,
      kind: 'agent',
      direction: this.direction,
      from: this.opts.from,
      to: this.opts.to,
      agent_id: this.opts.agentId,
      state: this.state,
      conversation_id: this.conversationId ?? null,
      started_at: new Date(this.startedAt).toISOString(),
      duration_seconds: Math.round((Date.now() - this.startedAt) / 1000),
      ...(withTranscript ? { transcript: this.transcript.toJSON() } : {}),
    };
  }

  start(): void {
    this.opts.leg.attach(this);
    this.opts.metrics.callsStarted.inc({ leg: this.opts.leg.kind });
    this.opts.metrics.activeCalls.inc();
    this.timers.every(this.opts.watchdogMs ?? 1000, () => this.runWatchdog());
    if (this.policy.silenceEndCallTimeoutMs !== null && this.opts.createSpeechDetector) {
      this.speech = new CallerSpeech(this.leg.codec, (at) => (this.watch.lastCallerSpeechAt = at));
      void this.speech.start(this.opts.createSpeechDetector, this.log);
    }
    void this.connectAgent();
  }

  // ---- agent connection, failure and retry -------------------------------

  private async connectAgent(): Promise<void> {
    const t0 = performance.now();
    const hold = this.timers.after(HOLD_NOTICE_MS, () => this.playFallback('agent not ready yet'));
    let agent: AgentLink;
    try {
      agent = await this.opts.connectAgent(this.abort.signal, this.retried);
    } catch (err) {
      this.timers.cancel(hold);
      if (this.state === 'connecting') this.agentFailed(`agent connection failed: ${(err as Error).message}`);
      return;
    }
    this.timers.cancel(hold);
    if (this.state !== 'connecting') return agent.close(1000, 'call already ended');
    this.opts.metrics.agentConnectSeconds.observe((performance.now() - t0) / 1000);
    this.attachAgent(agent);
  }

  private attachAgent(agent: AgentLink): void {
    try {
      this.uplink = new Uplink(this.leg.codec, parseAudioFormat(agent.inputFormat));
      this.downlink = new Downlink(parseAudioFormat(agent.outputFormat), this.leg.codec);
    } catch (err) {
      agent.close(1000, 'unsupported audio format');
      return this.agentFailed((err as Error).message);
    }
    this.agent = agent;
    this.conversationId = agent.conversationId;
    this.lastInterruptId = -1;
    this.state = 'active';
    this.log.info({ conversationId: agent.conversationId, uplink: String(this.uplink), downlink: String(this.downlink) }, 'agent conversation started');
    agent.attach({ onEvent: (e) => this.onAgentEvent(e), onClosed: (code, reason) => this.onAgentClosed(agent, code, reason) });
    if (this.opts.initialContextUpdate) agent.sendContextualUpdate(this.opts.initialContextUpdate);
    if (this.retried) agent.sendContextualUpdate('The previous conversation with this caller was cut off by a technical problem. Apologise briefly and continue.');
    for (const frame of this.earlyAudio.splice(0)) this.onAudio(frame);
    for (const digit of this.earlyDigits.splice(0)) this.forwardDigit(digit);
  }

  /** The agent failed (no connection, lost socket, no answer): the caller hears the fallback at once, then the policy runs. */
  private agentFailed(detail: string): void {
    if (this.state === 'ending' || this.state === 'ended') return;
    this.log.warn({ detail, policy: this.policy.agentFailure.policy, retried: this.retried }, 'agent failed');
    const old = this.agent;
    this.agent = undefined;
    this.watch.awaitingAgentSince = undefined;
    old?.close(1011, 'agent failed');
    this.playFallback(detail);
    const { policy, transferTo } = this.policy.agentFailure;
    if (policy === 'retry' && !this.retried) {
      this.retried = true;
      this.state = 'connecting';
      void this.connectAgent();
      return;
    }
    if (policy === 'transfer' && transferTo) {
      const result = this.transfer({ destination: transferTo, reason: detail, source: 'agent-failure' });
      if (result.ok) return;
      this.log.error({ error: result.message }, 'agent-failure transfer refused; hanging up');
    }
    this.endAfterPlayback('agent-failed', detail, false);
  }

  private onAgentClosed(agent: AgentLink, code: number, reason: string): void {
    if (agent !== this.agent || this.state === 'ended') return;
    if (code === 1000) {
      // Normal close: the agent ended the conversation (§6.3); let its last words play.
      if (this.pendingEnd) return this.finishDrain();
      return this.endAfterPlayback('agent-ended', `agent closed the conversation${reason ? ` (${reason})` : ''}`, false);
    }
    this.agentFailed(`agent socket closed with ${code} ${reason}`);
  }

  private playFallback(detail: string): void {
    const now = Date.now();
    if (now - this.fallbackPlayedAt < this.policy.agentFailure.fallback.durationMs) return; // already playing
    this.fallbackPlayedAt = now;
    this.log.info({ detail, clip: this.policy.agentFailure.fallback.name }, 'playing fallback to caller');
    this.playClip(this.policy.agentFailure.fallback, true);
  }

  /** Plays a prompt of the bridge's own, replacing whatever agent audio was still queued. */
  private playClip(clip: AudioClip, replaceQueued: boolean): void {
    if (replaceQueued) {
      this.downlink?.reset();
      this.leg.clear();
    }
    for (const frame of clipFrames(clip, this.leg.codec)) this.leg.sendAudio(frame);
  }

  // ---- phone leg events ---------------------------------------------------

  onAudio(frame: InboundAudio): void {
    const now = Date.now();
    this.watch.lastPhoneFrameAt = now;
    const decoded = this.speech?.push(frame, now);
    if (this.state === 'connecting') {
      if (this.earlyAudio.push(frame) > EARLY_AUDIO_FRAMES) this.earlyAudio.shift();
      return;
    }
    if (this.state !== 'active' || !this.agent || !this.uplink) return;
    // Barge-in off: while the agent is audible the agent hears line silence, so it cannot be interrupted.
    const muted = !this.policy.bargeIn && this.leg.unplayedMs() > 0;
    const base64 = muted ? this.uplink.toAgent(this.silence(frame.payload.length)) : this.uplink.toAgent(frame, decoded);
    if (!this.agent.sendAudio(base64)) {
      this.opts.metrics.droppedFrames.inc({ direction: 'to-agent', cause: 'backpressure' });
      this.warn.warn('agent-backpressure', {}, 'agent socket is not keeping up; dropping caller audio');
    }
  }

  /** A key press: a configured action (hang up, transfer) or, by default, news for the agent. */
  onDtmf(digit: string): void {
    this.log.info({ digit }, 'caller pressed a key');
    const d = decideDtmf(digit, this.state, this.policy.dtmf);
    if (d.type === 'transfer') {
      const result = this.transfer(d.request);
      if (!result.ok) this.log.warn({ digit, error: result.message }, 'key press transfer refused');
    } else if (d.type === 'queue') this.earlyDigits.push(digit); // delivered once the agent is there
    else if (d.type === 'forward') this.forwardDigit(digit);
    else if (d.type !== 'ignore') this.apply(d);
  }

  private forwardDigit(digit: string): void {
    if (!this.agent) return;
    if (this.policy.dtmf.mode === 'contextual_update') this.agent.sendContextualUpdate(`The caller pressed the key "${digit}" on the phone keypad.`);
    else if (this.policy.dtmf.mode === 'user_message') this.agent.sendUserMessage(digit);
  }

  onPlayed(label: string): void {
    if (label !== FINAL_MARK || !this.pendingEnd) return;
    const { reason, detail } = this.pendingEnd;
    this.timers.after(this.policy.endCallGraceMs, () => void this.end(reason, `${detail}; final audio played`));
  }

  onEnded(reason: EndReason, detail: string): void {
    void this.end(reason, detail);
  }

  // ---- agent events (decided in session-agent-events) ---------------------

  private onAgentEvent(e: AgentEvent): void {
    const a = decideAgentEvent(e, this);
    switch (a.type) {
      case 'play':
        return this.playAgentAudio(a.base64);
      case 'drop-stale':
        return this.opts.metrics.droppedFrames.inc({ direction: 'to-caller', cause: 'stale-after-interruption' });
      case 'pong':
        return this.agent?.sendPong(a.eventId);
      case 'caller-said':
        this.transcript.add('user', a.text);
        this.watch.awaitingAgentSince ??= Date.now();
        return;
      case 'agent-said':
        this.transcript.add('agent', a.text);
        this.turnQueuedMs = 0;
        this.watch.awaitingAgentSince = undefined;
        return;
      case 'agent-corrected':
        return this.transcript.correct(a.original, a.corrected);
      case 'interrupt':
        return this.interrupt(a.interruptId, a.heardMs, a.queuedMs);
      case 'reply':
        this.replyToTool(a.reply);
        if (a.then) this.apply(a.then);
        return;
      case 'transfer':
        return this.replyToTool(transferToolReply(a.toolCallId, this.transfer(a.request)));
      case 'end':
        return this.apply(a.action);
      case 'warn':
        return this.log.warn({ code: a.code, message: a.message }, 'agent reported an error');
      case 'none':
        return;
    }
  }

  /** Agent audio after an end was requested keeps flowing until the drain begins. */
  private playAgentAudio(base64: string): void {
    if (!this.downlink) return;
    this.lastAgentAudioAt = Date.now();
    this.watch.awaitingAgentSince = undefined;
    this.downlink.push(base64, this.sendFrame, this.sendFrameBase64);
  }

  private interrupt(interruptId: number, heardMs: number, queuedMs: number): void {
    this.lastInterruptId = interruptId;
    this.transcript.interruptLastAgent(heardMs, queuedMs);
    this.downlink?.reset();
    this.leg.clear();
  }

  private replyToTool(r: ToolReply): void {
    this.agent?.sendToolResult(r.toolCallId, r.result, r.isError);
  }

  get acceptsAgentAudio(): boolean {
    return this.state === 'active' || (this.state === 'ending' && this.pendingEnd?.drained === false);
  }

  private silence(length: number): InboundAudio {
    if (this.silentFrame?.payload.length !== length) {
      this.silentFrame = { payload: new Uint8Array(length).fill(legSilenceByte(this.leg.codec)) };
    }
    return this.silentFrame;
  }

  /** Answering machine detection reported a machine (outbound calls): the policy decides. */
  onAnsweringMachine(answeredBy: string): void {
    // Once: the verdict may reach a session twice (its callback, and the record read at stream start).
    if (this.machineVerdict || this.state === 'ending' || this.state === 'ended') return;
    this.machineVerdict = true;
    this.log.info({ answeredBy, action: this.policy.answeringMachine.action }, 'answering machine detected');
    const action = decideAnsweringMachine(answeredBy, this.policy.answeringMachine);
    if (action) this.apply(action);
  }

  /** Hands the caller to a person, within the policy's transfer rules (decided in session-control). */
  transfer(request: TransferRequest): TransferResult {
    const plan = decideTransfer(request, { state: this.state, canTransfer: this.opts.beginTransfer !== undefined, policy: this.policy.transfer });
    if (!plan.ok) return plan;
    this.opts.beginTransfer?.(this, request, plan.rule, plan.mode);
    if (plan.silent) {
      this.downlink?.reset();
      this.leg.clear();
      void this.end('transfer', plan.detail);
    } else {
      this.endAfterPlayback('transfer', plan.detail, plan.waitForAgent);
    }
    return { ok: true, to: plan.to };
  }

  // ---- time limits ----------------------------------------------------------

  /** About once a second: the first time limit reached decides (session-control). */
  private runWatchdog(): void {
    const now = Date.now();
    const unplayed = this.leg.unplayedMs();
    if (unplayed > 0) this.watch.agentAudibleUntil = now + unplayed;
    const verdict = decideWatchdog(this.watch, this.policy, this.state, now);
    if (!verdict) return;
    this.log.info({ finding: verdict.finding }, 'call limit reached');
    if (verdict.action) this.apply(verdict.action);
  }

  /** Carries out an end decided by the control rules. */
  private apply(a: EndAction): void {
    if (a.type === 'end') void this.end(a.reason, a.detail);
    else if (a.type === 'end-after-playback') this.endAfterPlayback(a.reason, a.detail, a.waitForAgent);
    else if (a.type === 'end-with-prompt') this.endWithPrompt(a.reason, a.prompt, a.detail);
    else this.agentFailed(a.detail);
  }

  private endWithPrompt(reason: EndReason, prompt: AudioClip | undefined, detail: string): void {
    if (prompt) this.playClip(prompt, true);
    this.endAfterPlayback(reason, detail, false);
  }

  // ---- ending -----------------------------------------------------------------

  /**
   * Ends the call after the caller has heard everything queued: stop listening,
   * (optionally) let trailing agent audio arrive, mark the end of the audio,
   * and hang up once Twilio confirms the mark (or a safety timeout passes).
   */
  endAfterPlayback(reason: EndReason, detail: string, waitForAgent = true): void {
    if (this.state === 'ending' || this.state === 'ended') return;
    this.state = 'ending';
    this.endDetail = detail;
    this.pendingEnd = { reason, detail, drained: false };
    if (!waitForAgent || !this.agent) return this.finishDrain();
    const check = (): void => {
      if (this.pendingEnd?.drained) return;
      if (Date.now() - this.lastAgentAudioAt >= AGENT_QUIET_MS) this.finishDrain();
      else this.timers.after(100, check);
    };
    this.timers.after(AGENT_QUIET_MS, check);
  }

  private finishDrain(): void {
    if (!this.pendingEnd || this.pendingEnd.drained) return;
    this.pendingEnd.drained = true;
    this.downlink?.flush(this.sendFrame);
    this.leg.mark(FINAL_MARK);
    const { reason, detail } = this.pendingEnd;
    this.timers.after(this.leg.unplayedMs() + FINAL_MARK_SAFETY_MS, () => void this.end(reason, `${detail}; final mark not confirmed in time`));
  }

  /** Ends the call once, in a fixed order: timers, leg, agent, voice detector, bookkeeping. */
  end(reason: EndReason, detail = ''): Promise<void> {
    if (this.endPromise) return this.endPromise;
    // Claimed before teardown starts: the leg reports its own end while we hang it up.
    let done!: () => void;
    this.endPromise = new Promise((resolve) => (done = resolve));
    void this.runEnd(reason, detail).finally(done);
    return this.endPromise;
  }

  private async runEnd(reason: EndReason, detail: string): Promise<void> {
    this.state = 'ended';
    this.endReason = reason;
    this.endDetail = detail || this.endDetail;
    this.endedAt = Date.now();
    this.timers.clear();
    this.abort.abort();
    this.earlyAudio.length = 0;
    // Hang up the phone side first: the caller must not sit in dead air while the agent socket closes.
    await this.leg.hangup(reason).catch((err: Error) => this.log.warn({ err: err.message }, 'leg hangup failed'));
    this.agent?.close(1000, reason === 'caller-hangup' ? 'caller hung up' : reason);
    this.speech?.dispose();
    this.opts.metrics.activeCalls.dec();
    this.opts.metrics.callsEnded.inc({ reason });
    this.log.info({ reason, detail: this.endDetail, durationMs: this.endedAt - this.startedAt }, 'call ended');
    this.opts.onEnded?.(this);
  }

}
