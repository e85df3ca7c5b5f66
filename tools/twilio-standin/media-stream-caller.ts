/**
 * Twilio's side of one bidirectional Media Stream WebSocket (protocols.md §2): connects with
 * a signed upgrade (§1.4), sends `connected` + `start`, streams the caller's audio in real
 * time, plays what the bridge sends through a Twilio-like playout queue, echoes marks, and
 * records everything for assertions and latency measurement.
 */
import { WebSocket, type RawData } from 'ws';
import { CallerAudioQueue, toUlaw, type CallerAudio } from './caller-audio.js';
import { FrameClock, monotonicNow } from './frame-clock.js';
import { newSid } from './ids.js';
import { Playout, SAMPLES_PER_MS } from './playout.js';
import { StreamRecorder } from './stream-recorder.js';
import { readBridgeMessage, TwilioMessageWriter, type BridgeMessage } from './stream-wire.js';
import { signatureHeader, signUpgrade, type SignatureMode } from './webhook-signer.js';

export interface MediaStreamCallerOptions {
  /** The `<Stream url>` exactly as the TwiML gave it (after resolving a relative URL). */
  url: string;
  authToken: string;
  callSid?: string;
  accountSid?: string;
  streamSid?: string;
  /** The `<Parameter>`s, delivered in `start.customParameters`. */
  customParameters?: Record<string, string>;
  /** Security tests: 'missing' or 'wrong' upgrade signatures. Default 'valid'. */
  signature?: SignatureMode;
  /** What the caller says first. More can be queued with `play()`. */
  audio?: CallerAudio;
  /** Keep sending μ-law silence once the speech runs out, like a real line. Default true. */
  keepStreaming?: boolean;
}

export type StreamCloser = 'bridge' | 'caller' | 'rejected';

export interface StreamClosed {
  code: number;
  reason: string;
  by: StreamCloser;
  /** HTTP status when the bridge refused the upgrade. */
  upgradeStatus?: number;
  atMs: number;
}

const FRAME_MS = 20;

export class MediaStreamCaller {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly recorder = new StreamRecorder();
  /** Resolves once `connected` and `start` are sent; rejects if the upgrade fails. */
  readonly ready: Promise<void>;
  /** Always resolves, however the stream ends. */
  readonly closed: Promise<StreamClosed>;
  /** Epoch ms of the stream origin (socket open), for lining up with bridge logs. */
  originEpochMs = 0;

  private readonly ws: WebSocket;
  private readonly writer: TwilioMessageWriter;
  private readonly audio: CallerAudioQueue;
  private readonly playout: Playout;
  private origin: number | undefined;
  private frameClock: FrameClock | undefined;
  private callerClosing = false;
  private closedResult: StreamClosed | undefined;
  private lastError: Error | undefined;

  constructor(private readonly opts: MediaStreamCallerOptions) {
    this.streamSid = opts.streamSid ?? newSid('MZ');
    this.callSid = opts.callSid ?? newSid('CA');
    this.accountSid = opts.accountSid ?? newSid('AC');
    this.writer = new TwilioMessageWriter(this);
    this.audio = new CallerAudioQueue(opts.keepStreaming ?? true);
    void this.audio.enqueue(toUlaw(opts.audio ?? {}));
    this.playout = new Playout({ nowMs: () => this.nowMs(), onMarkEcho: (n, f) => this.echoMark(n, f) });

    const sig = signatureHeader(opts.signature ?? 'valid', () => signUpgrade(opts.authToken, opts.url));
    const headers: Record<string, string> = { 'user-agent': 'Twilio.TmeWs/1.0 (voice-bridge stand-in)' };
    if (sig !== undefined) headers['x-twilio-signature'] = sig;
    this.ws = new WebSocket(opts.url, { headers, perMessageDeflate: false });

    this.ready = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => { this.onOpen(); resolve(); });
      // A permanent listener: ws throws on an 'error' event nobody listens to.
      this.ws.on('error', (err) => {
        this.lastError = err;
        reject(err); // no-op once open
      });
    });
    this.ready.catch(() => undefined); // observed through `closed`; avoid an unhandled rejection
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve(this.onClose(code, reason.toString())));
    });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  /** The stream origin on the performance.now() clock; undefined until the socket opens. */
  get originMs(): number | undefined {
    return this.origin;
  }

  /** ms since the stream origin (0 before the socket opened). */
  nowMs(): number {
    return this.origin === undefined ? 0 : monotonicNow() - this.origin;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get closedInfo(): StreamClosed | undefined {
    return this.closedResult;
  }

  /** Queues more caller speech after whatever is still queued; resolves when it has been sent. */
  play(audio: CallerAudio): Promise<void> {
    return this.audio.enqueue(toUlaw(audio));
  }

  /** Stop frames once the queued speech is sent (default is to keep sending silence). */
  stopAfterAudio(): void {
    this.audio.stopWhenDrained();
  }

  /** Stop sending media right now, as if the caller's media path died. The socket stays open. */
  stopMedia(): void {
    this.frameClock?.stop();
  }

  sendDtmf(digit: string): void {
    this.send(this.writer.dtmf(digit));
    this.recorder.dtmfSent.push({ atMs: this.nowMs(), digit });
  }

  /** Sends any text frame as-is (malformed-input tests). */
  sendRaw(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  /** The caller hangs up: Twilio sends `stop` and closes the socket (§2.1 `stop`). */
  hangup(): Promise<StreamClosed> {
    if (this.isOpen && !this.callerClosing) {
      this.callerClosing = true;
      this.frameClock?.stop();
      this.send(this.writer.stop());
      this.ws.close(1000, 'call ended');
    } else if (this.ws.readyState === WebSocket.CONNECTING) {
      this.callerClosing = true;
      this.ws.terminate();
    }
    return this.closed;
  }

  /**
   * Forgets what was sent, received and played so far (a long benchmark soak
   * keeps constant memory); recorder waiters and queued audio stay.
   */
  forgetHistory(): void {
    this.recorder.sentFrames.length = 0;
    this.recorder.received.length = 0;
    this.recorder.markEchoes.length = 0;
    this.playout.forgetPlayed();
  }

  /** What the caller heard: PCM16 8 kHz from the stream origin, silence where nothing played. */
  heardPcm(): Int16Array {
    return this.playout.heard();
  }

  /** Milliseconds of bridge audio queued at Twilio and not yet played. */
  get queuedMs(): number {
    return this.playout.queuedMs;
  }

  private onOpen(): void {
    this.origin = monotonicNow();
    this.originEpochMs = Date.now();
    this.send(this.writer.connected());
    this.send(this.writer.start(this.opts.customParameters ?? {}));
    this.frameClock = new FrameClock({
      periodMs: FRAME_MS,
      origin: this.origin,
      onTick: (index) => this.sendFrame(index, index * FRAME_MS),
    });
  }

  private sendFrame(index: number, dueMs: number): boolean {
    const silenceBefore = this.audio.pendingBytes === 0;
    const frame = this.audio.nextFrame();
    if (!frame || !this.isOpen) return false;
    this.send(this.writer.media(frame, index * FRAME_MS));
    this.recorder.sentFrames.push({ index, dueMs, sentMs: this.nowMs(), silence: silenceBefore });
    return true;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const atMs = this.nowMs();
    const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as Buffer).toString();
    const { message, problems } = readBridgeMessage(text, isBinary, this.streamSid);
    for (const p of problems) this.recorder.problems.push({ atMs, ...p });
    if (message) this.apply(message, atMs);
  }

  private apply(message: BridgeMessage, atMs: number): void {
    if (message.event === 'media') {
      const start = this.playout.enqueue(message.payload);
      this.recorder.receive({ atMs, event: 'media', bytes: message.payload.byteLength, playStartMs: start / SAMPLES_PER_MS });
    } else if (message.event === 'mark') {
      this.recorder.receive({ atMs, event: 'mark', name: message.name });
      this.playout.mark(message.name);
    } else {
      const dropped = this.playout.clear();
      this.recorder.receive({ atMs, event: 'clear', droppedMs: dropped / SAMPLES_PER_MS });
    }
  }

  private echoMark(name: string, flushed: boolean): void {
    if (!this.isOpen || this.callerClosing) return;
    this.send(this.writer.mark(name));
    this.recorder.markEchoes.push({ atMs: this.nowMs(), name, flushed });
  }

  private onClose(code: number, reason: string): StreamClosed {
    this.frameClock?.stop();
    this.playout.end();
    this.audio.drop();
    // ws reports a refused upgrade only as an error message ("Unexpected server response: 403").
    const status = /Unexpected server response: (\d+)/.exec(this.lastError?.message ?? '')?.[1];
    const never = this.origin === undefined;
    const by: StreamCloser = never ? 'rejected' : this.callerClosing ? 'caller' : 'bridge';
    this.closedResult = {
      code,
      reason: never && this.lastError ? this.lastError.message : reason,
      by,
      upgradeStatus: status === undefined ? undefined : Number(status),
      atMs: this.nowMs(),
    };
    return this.closedResult;
  }

  private send(msg: object): void {
    if (this.isOpen) this.ws.send(JSON.stringify(msg));
  }
}
