/**
 * One agent conversation on one WebSocket: the session sequence of protocols.md
 * §4.2, what the client sent (for tests), and on-demand agent behaviour.
 * On-demand actions (interrupt, end call, tools…) are in conversation.ts.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { decodeToPcm, encodeFromPcm, formatSpec, type FormatSpec } from './formats.js';
import { PingTracker } from './pinger.js';
import { base64ByteLength, UserAudioRecorder } from './recorder.js';
import { LinearResampler } from './resample.js';
import { Speaker } from './speaker.js';
import { TimerBag } from './timers.js';
import { ToolCalls } from './tool-calls.js';
import type { CloseInfo, ReferenceAgentConfig } from './types.js';
import { parseClientMessage, serverEvent, type ClientMessage, type InitiationData } from './wire.js';

/** One server → client event as sent, in order. */
export interface SentEvent {
  type: string;
  eventId?: number;
  at: number;
  /** Audio sent after an interruption with an id below it (§4.5 race). */
  stale?: boolean;
}

/** A line of the service's own transcript: what the agent said (`agent_response`) and the user's recognised speech (`user_transcript`). */
export interface TranscriptTurn {
  role: 'agent' | 'user';
  message: string;
  /** performance.now() when it was sent. */
  at: number;
}

/** A non-fatal oddity or a contract error (those also close with 1008). */
export interface Violation {
  at: number;
  message: string;
  fatal: boolean;
}

/** Close deadline: a peer that never answers our close frame is cut off (like ws's own). */
const CLOSE_DEADLINE_MS = 1000;

export class ConversationCore extends EventEmitter {
  readonly conversationId = `conv_${randomBytes(10).toString('hex')}`;
  readonly inputFormat: FormatSpec;
  readonly outputFormat: FormatSpec;
  readonly userAudio: UserAudioRecorder;
  readonly sent: SentEvent[] = [];
  readonly violations: Violation[] = [];
  readonly contextualUpdates: string[] = [];
  readonly userMessages: string[] = [];
  /** Arrival times of `user_activity` messages. */
  readonly userActivity: number[] = [];
  readonly feedback: { score: string; eventId: number }[] = [];
  readonly unknownMessages: unknown[] = [];
  /** What the service would keep as the conversation's transcript (GET /v1/convai/conversations/{id}). */
  readonly transcript: TranscriptTurn[] = [];
  /** When `conversation_initiation_metadata` was sent: performance.now() and wall clock (ms). */
  startedAt: { perf: number; wallMs: number } | undefined;
  /** performance.now() when the socket closed. */
  closedAt: number | undefined;
  initiation: InitiationData | undefined;
  closeInfo: CloseInfo | undefined;
  /**
   * Tests: hold `conversation_initiation_metadata` back until this settles (then `metadataDelayMs`
   * more, if set): an agent start as slow as the test needs, released on an event instead of a timer.
   * Set it from the server's 'conversation' event, which comes before the client's first message.
   */
  holdMetadataUntil: Promise<unknown> | undefined;
  readonly started: Promise<void>;
  readonly closed: Promise<CloseInfo>;

  protected readonly timers = new TimerBag();
  protected readonly speaker: Speaker;
  protected readonly pingTracker = new PingTracker();
  protected readonly toolCalls = new ToolCalls(this.timers);
  protected lastEventId = 0;
  private closingBy: 'server' | undefined;
  private markStarted!: () => void;
  private readonly echoResampler: LinearResampler;
  private readonly echoFrom: number;

  constructor(
    protected readonly ws: WebSocket,
    readonly agent: ReferenceAgentConfig,
    random: () => number,
  ) {
    super();
    this.echoFrom = performance.now() + (agent.echoAfterMs ?? 0);
    this.inputFormat = formatSpec(agent.inputFormat ?? 'pcm_16000');
    this.outputFormat = formatSpec(agent.outputFormat ?? 'pcm_16000');
    this.userAudio = new UserAudioRecorder(this.inputFormat);
    this.echoResampler = new LinearResampler(this.inputFormat.sampleRate, this.outputFormat.sampleRate);
    this.speaker = new Speaker(
      {
        format: this.outputFormat,
        timers: this.timers,
        random,
        sendAgentResponse: (text) => {
          if (this.isOpen) this.recordTurn('agent', text);
          this.sendEvent('agent_response', (id) => serverEvent.agentResponse(text, id));
        },
        sendAudio: (b64) => this.sendEvent('audio', (id) => serverEvent.audio(b64, id)),
      },
      agent.speech,
    );
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve(this.onClose(code, reason))));
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    // ws reports bad frames (too big, bad UTF-8) here and closes by itself; never crash.
    ws.on('error', (err) => this.violation(`socket error: ${err.message}`, false));
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get pings() {
    return this.pingTracker.pings;
  }

  get pongs() {
    return this.pingTracker.pongs;
  }

  get toolResults() {
    return this.toolCalls.results;
  }

  /** The id of the most recent event that carried one. */
  get currentEventId(): number {
    return this.lastEventId;
  }

  /** Resolves when `predicate()` holds, re-checked on every client message. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const fail = (why: string) => () => (cleanup(), reject(new Error(`waitFor: ${why}`)));
      const onClose = fail('conversation closed');
      const timer = setTimeout(fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('message', check);
        this.off('close', onClose);
      };
      this.on('message', check);
      this.on('close', onClose);
      check();
      if (this.closeInfo) onClose();
    });
  }

  /** Closes with a close frame; cut off if the client does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState >= this.ws.CLOSING) return;
    this.closingBy = 'server';
    this.stopActivity();
    this.ws.close(code, reason);
    this.timers.after(CLOSE_DEADLINE_MS, () => this.ws.terminate());
  }

  /** Drops the TCP connection with no close frame (the client sees 1006). */
  kill(): void {
    this.closingBy = 'server';
    this.ws.terminate();
  }

  /** Sends one event; `build` gets a fresh event id when the event carries one. */
  protected sendEvent(type: string, build: (eventId: number) => string, extra: Partial<SentEvent> = {}): number {
    if (!this.isOpen) return this.lastEventId; // nothing is sent (or recorded) once closing
    const eventId = ++this.lastEventId;
    this.sendFrame(build(eventId), { type, eventId, ...extra });
    return eventId;
  }

  protected sendFrame(frame: string, record: Omit<SentEvent, 'at'>): void {
    if (!this.isOpen) return;
    this.ws.send(frame);
    this.sent.push({ ...record, at: performance.now() });
  }

  protected violation(message: string, fatal: boolean): void {
    this.violations.push({ at: performance.now(), message, fatal });
    if (!fatal || !this.isOpen) return;
    // §4.8: input or contract errors close with 1008; the 2026 schema sends `error` first.
    this.sendFrame(serverEvent.error(1008, message), { type: 'error' });
    this.close(1008, message.slice(0, 120));
  }

  protected recordTurn(role: TranscriptTurn['role'], message: string): void {
    this.transcript.push({ role, message, at: performance.now() });
  }

  /** Hook for scripted replies (conversation.ts). */
  protected onUserAudioAdded(_ms: number): void {}

  private onFrame(data: Buffer, isBinary: boolean): void {
    const msg: ClientMessage = isBinary ? { kind: 'invalid', reason: 'binary frames are not accepted' } : parseClientMessage(data.toString());
    if (!this.initiation && this.sent.length === 0) this.begin(msg);
    this.handle(msg);
    this.emit('message', msg);
  }

  /** §4.2: the first client message (ideally the initiation) starts the session. */
  private begin(first: ClientMessage): void {
    if (first.kind === 'invalid') return;
    if (first.kind === 'initiation') this.initiation = first.data;
    else this.violation(`first message was ${first.kind}, not conversation_initiation_client_data`, false);
    const delay = this.agent.metadataDelayMs ?? 0;
    const start = (): void => {
      if (delay > 0) this.timers.after(delay, () => this.startConversation());
      else this.startConversation();
    };
    if (this.holdMetadataUntil) void this.holdMetadataUntil.then(() => this.isOpen && start());
    else start();
  }

  private startConversation(): void {
    const { name: out } = this.outputFormat;
    this.sendFrame(serverEvent.metadata(this.conversationId, out, this.inputFormat.name), { type: 'conversation_initiation_metadata' });
    this.startedAt = { perf: performance.now(), wallMs: Date.now() };
    this.markStarted();
    this.startPings();
    const greeting = this.agent.firstMessage;
    if (greeting && this.agent.firstMessageDelayMs) this.timers.after(this.agent.firstMessageDelayMs, () => void this.speaker.speak(greeting));
    else if (greeting) void this.speaker.speak(greeting);
  }

  private startPings(): void {
    const every = this.agent.pingIntervalMs;
    if (!every) return;
    this.timers.every(every, () =>
      this.sendEvent('ping', (id) => {
        this.pingTracker.sent(id, performance.now());
        const rtt = this.pingTracker.lastRttMs;
        return serverEvent.ping(id, rtt === null ? null : Math.round(rtt));
      }),
    );
  }

  private handle(msg: ClientMessage): void {
    const now = performance.now();
    switch (msg.kind) {
      case 'audio':
        return this.onUserAudio(msg.base64, now);
      case 'initiation':
        if (this.initiation === msg.data) return;
        this.violation('conversation_initiation_client_data sent twice or late', false);
        this.initiation ??= msg.data;
        return;
      case 'pong':
        this.pingTracker.received(msg.eventId, now);
        return;
      case 'tool_result':
        if (!this.toolCalls.settle(msg.toolCallId, msg.result, msg.isError, now)) {
          this.violation(`client_tool_result for unknown tool_call_id ${msg.toolCallId}`, false);
        }
        return;
      case 'contextual_update':
        this.contextualUpdates.push(msg.text);
        return;
      case 'user_message':
        this.userMessages.push(msg.text);
        return;
      case 'user_activity':
        this.userActivity.push(now);
        return;
      case 'feedback':
        this.feedback.push({ score: msg.score, eventId: msg.eventId });
        return;
      case 'unknown':
        this.unknownMessages.push(msg.raw);
        return;
      case 'invalid':
        return this.violation(msg.reason, true);
    }
  }

  private onUserAudio(b64: string, at: number): void {
    const inFmt = this.inputFormat;
    const bytes = base64ByteLength(b64);
    if (bytes % inFmt.bytesPerSample) this.violation(`user audio chunk of ${bytes} bytes splits a PCM16 sample`, false);
    const echo = (this.agent.mode ?? 'echo') === 'echo';
    const same = inFmt.name === this.outputFormat.name;
    const needPcm = this.agent.recordUserAudio !== false || (echo && !same);
    const pcm = needPcm ? decodeToPcm(inFmt, Buffer.from(b64, 'base64')) : undefined;
    this.userAudio.add(this.agent.recordUserAudio === false ? { at, bytes } : { at, bytes, pcm });
    if (echo && at >= this.echoFrom) {
      // Benchmark path: equal formats pass the base64 through untouched, no delay.
      const out = same ? b64 : encodeFromPcm(this.outputFormat, this.echoResampler.process(pcm!)).toString('base64');
      if (out.length) this.sendEvent('audio', (id) => serverEvent.audio(out, id));
    }
    this.onUserAudioAdded((Math.floor(bytes / inFmt.bytesPerSample) * 1000) / inFmt.sampleRate);
  }

  private stopActivity(): void {
    this.speaker.cancel();
    this.toolCalls.rejectAll('conversation closed');
  }

  private onClose(code: number, reason: Buffer): CloseInfo {
    this.stopActivity();
    this.timers.dispose();
    this.closedAt = performance.now();
    this.closeInfo = { code, reason: reason.toString(), by: this.closingBy ?? 'client' };
    this.emit('close', this.closeInfo);
    return this.closeInfo;
  }
}
