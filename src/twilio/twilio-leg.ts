import type { RawData, WebSocket } from 'ws';
import { PlayoutPacer } from '../../media/playout-pacer.js';
import type { CallLeg, CallLegHandler, InboundAudio, WireTap } from '../call/call-leg.js';
import type { EndReason } from '../call/end-reason.js';
import type { MediaClock } from '../../sip/media/media-clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import { parseTwilioMessage, TwilioEncoder, type StreamStart, type TwilioInbound } from './media-stream-protocol.js';
import { FloodGate } from './flood-gate.js';
import { wsText } from '../ws-text.js';

const FRAME_MS = 20;
const MAX_FRAME_BYTES = 8000; // 1 s of μ-law in one message is already far outside Twilio's behaviour
/** How far a frame's media timestamp may run ahead of wall time before it counts as a flood. */
const AHEAD_SLACK_MS = 2000;
const NO_OP = (): void => undefined;
/** Mark names of recording probes (ours never contain this; the leg's own marks are `generation:label`). */
const PROBE_PREFIX = 'rec~';

export interface TwilioLegOptions {
  clock: MediaClock;
  leadMs: number;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

/**
 * A caller frame as Twilio sent it: μ-law relay to a μ-law agent only needs
 * the base64 text, so the bytes are decoded on first use (voice detector,
 * recording, transcoding), not for every frame.
 */
class Base64Frame implements InboundAudio {
  private bytes: Uint8Array | undefined;

  constructor(readonly base64: string) {}

  get payload(): Uint8Array {
    return (this.bytes ??= Buffer.from(this.base64, 'base64'));
  }
}

/** Bytes a base64 text stands for; the parser has checked it is whole 4-character groups with at most 2 `=` at the end. */
function base64DecodedLength(base64: string): number {
  const n = base64.length;
  const pad = n === 0 ? 0 : base64.charCodeAt(n - 1) !== 0x3d ? 0 : base64.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  return (n >> 2) * 3 - pad;
}

/** The socket under a `ws` WebSocket (not in its typings): corked so a burst of messages leaves in one write. */
type Corkable = { _socket?: { cork(): void; uncork(): void } };

/**
 * The phone side of a call carried by a Twilio bidirectional Media Stream.
 * Created only after `start` (the handshake is done by the acceptor), so every
 * message it sends carries the stream SID. Owns the socket.
 */
export class TwilioLeg implements CallLeg {
  readonly kind = 'twilio';
  readonly codec = 'ulaw';
  readonly providerCallId: string;
  private handler: CallLegHandler | undefined;
  private readonly encoder: TwilioEncoder;
  /** Ready-to-send JSON messages: encoded once on arrival, so the pacer holds strings, not buffers. */
  private readonly pacer: PlayoutPacer<string>;
  private readonly flood = new FloodGate(100, 100);
  private readonly openedAt: number;
  private lastTimestamp = -1;
  private readonly warn: RateLimitedLog;
  private readonly now: () => number;
  /** Marks carry this generation; `clear` bumps it so flushed marks are not taken as played (Twilio echoes them on clear). */
  private generation = 0;
  private pumping = false;
  private ended = false;
  private readonly pump = (): void => this.flush();
  /** Recording: frames queued in the pacer, handed to the tap as their media message is sent. */
  private wireTap: WireTap | undefined;
  private readonly tapFrames: Uint8Array[] = [];
  private probes = 0;
  /** Media time of the last caller frame handed to the tap. */
  private tapMediaMs = -Infinity;

  constructor(private readonly ws: WebSocket, readonly start: StreamStart, private readonly opts: TwilioLegOptions) {
    this.providerCallId = start.callSid;
    this.encoder = new TwilioEncoder(start.streamSid);
    this.now = opts.now ?? (() => performance.now());
    this.openedAt = this.now();
    this.pacer = new PlayoutPacer({ leadMs: opts.leadMs, maxQueuedMs: 120_000 });
    this.warn = new RateLimitedLog(opts.log);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code) => this.finish(code === 1000 || code === 1005 ? 'caller-hangup' : 'error', `stream socket closed (${code})`));
    ws.on('error', (err) => opts.log.warn({ err: err.message }, 'twilio stream socket error'));
  }

  attach(handler: CallLegHandler): void {
    this.handler = handler;
  }

  setWireTap(tap: WireTap | undefined): void {
    this.wireTap = tap;
    this.tapFrames.length = 0;
  }

  sendAudio(frame: Uint8Array): void {
    if (this.ended) return;
    if (this.wireTap) this.tapFrames.push(frame.slice());
    this.queueMedia(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64'));
  }

  sendAudioBase64(base64: string): void {
    if (this.ended) return;
    if (this.wireTap) this.tapFrames.push(Buffer.from(base64, 'base64'));
    this.queueMedia(base64);
  }

  mark(label: string): void {
    if (this.ended) return;
    this.pacer.enqueue(this.encoder.mark(`${this.generation}:${label}`), 0);
    this.flush();
  }

  clear(): void {
    if (this.ended) return;
    this.generation++;
    const dropped = this.pacer.clear(this.now());
    this.tapFrames.length = 0;
    this.wireTap?.cleared();
    this.send(this.encoder.clear());
    this.stopPumping();
    if (dropped.length) this.opts.metrics.droppedFrames.inc({ direction: 'to-caller', cause: 'clear' }, dropped.length);
  }

  unplayedMs(): number {
    return this.pacer.pendingMs + this.pacer.aheadMs(this.now());
  }

  /** Closing the socket ends `<Connect>`; Twilio then runs the TwiML after it (our action URL decides). */
  async hangup(reason: EndReason): Promise<void> {
    this.finish(reason, 'hung up by bridge');
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000, reason);
  }

  private queueMedia(base64: string): void {
    const text = this.encoder.media(base64);
    if (this.pacer.offer(text, FRAME_MS, this.now(), this.sendNow)) return;
    this.pacer.enqueue(text, FRAME_MS);
    this.flush();
  }

  private flush(): void {
    // Several items at once (an agent burst, audio + its mark): one syscall and one TCP segment instead of one each.
    const socket = this.pacer.pendingItems > 1 ? (this.ws as unknown as Corkable)._socket : undefined;
    socket?.cork();
    this.pacer.pump(this.now(), this.sendNow);
    socket?.uncork();
    if (this.pacer.pendingItems > 0) this.startPumping();
    else this.stopPumping();
  }

  private startPumping(): void {
    if (!this.pumping) {
      this.pumping = true;
      this.opts.clock.add(this.pump);
    }
  }

  private stopPumping(): void {
    if (this.pumping) {
      this.pumping = false;
      this.opts.clock.remove(this.pump);
    }
  }

  private send(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  /**
   * With a recording, every frame is followed by a probe mark: Twilio echoes
   * a mark once the audio before it has played (Media Streams, "mark"
   * message), so the recording places each frame where the caller heard it,
   * not where we sent it (up to PLAYOUT_LEAD_MS early, plus the network).
   */
  private readonly sendNow = (text: string): void => {
    this.send(text);
    if (this.wireTap && text.startsWith('{"event":"media"')) {
      const frame = this.tapFrames.shift();
      if (!frame) return;
      const probe = ++this.probes;
      this.wireTap.sent(frame, this.now(), probe);
      this.send(this.encoder.mark(`${PROBE_PREFIX}${probe}`));
    }
  };

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.ended) return;
    if (isBinary) return this.reject('binary-frame', 'binary frame on a JSON stream');
    const parsed = parseTwilioMessage(wsText(data));
    if (!parsed.ok) return this.reject(parsed.code, parsed.detail);
    this.dispatch(parsed.message);
  }

  private dispatch(msg: TwilioInbound): void {
    const h = this.handler;
    switch (msg.event) {
      case 'media':
        return this.onMedia(msg.payload, msg.track, msg.timestamp);
      case 'dtmf':
        return h?.onDtmf(msg.digit);
      case 'mark':
        return this.onMarkEcho(msg.name);
      case 'stop':
        return this.finish('caller-hangup', 'stream stopped by Twilio');
      case 'start':
      case 'connected':
        return this.reject('duplicate-handshake', `${msg.event} after start`);
      case 'unknown':
        return this.reject('unknown-event', msg.name);
    }
  }

  private onMedia(base64: string, track: string, timestamp: number): void {
    if (track !== 'inbound') return this.reject('unexpected-track', track);
    if (!this.admit(timestamp, this.now())) {
      this.opts.metrics.droppedFrames.inc({ direction: 'from-caller', cause: 'flood' });
      return this.warn.warn('flood', {}, 'media arriving faster than real time; dropping frames');
    }
    const size = base64DecodedLength(base64);
    if (size === 0 || size > MAX_FRAME_BYTES) return this.reject('bad-payload-size', String(size));
    const frame = new Base64Frame(base64);
    if (this.wireTap) {
      // Placed in a recording by its media timestamp (ms since the stream began), not by when it arrived.
      // Frames come in order (one TCP stream): a stamp that does not advance is no stamp; it follows the last frame.
      const mediaMs = timestamp > this.tapMediaMs ? timestamp : this.tapMediaMs + size / 8;
      this.tapMediaMs = mediaMs;
      // A copy: the recording keeps it a while, and the call's media chain may reuse the payload's bytes.
      this.wireTap.received(new Uint8Array(frame.payload), mediaMs, this.start.streamSid);
    }
    this.handler?.onAudio(frame);
  }

  /**
   * Twilio stamps each frame with its media time (ms since the stream began).
   * When our own event loop stalls, good frames arrive in a burst with stamps
   * that lag wall time: keep them. A flood runs ahead of wall time. Frames
   * without a usable stamp are rate-limited by arrival instead.
   */
  private admit(timestamp: number, now: number): boolean {
    if (timestamp > this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      return timestamp <= now - this.openedAt + AHEAD_SLACK_MS;
    }
    return this.flood.take(now);
  }

  private onMarkEcho(name: string): void {
    if (name.startsWith(PROBE_PREFIX)) return this.wireTap?.played(Number(name.slice(PROBE_PREFIX.length)));
    const sep = name.indexOf(':');
    if (sep < 0 || Number(name.slice(0, sep)) !== this.generation) return; // flushed by clear, or not ours
    this.handler?.onPlayed(name.slice(sep + 1));
  }

  private reject(reason: string, detail: string): void {
    this.opts.metrics.rejected.inc({ source: 'twilio-stream', reason });
    this.warn.warn(reason, { detail }, 'rejected message on twilio stream');
  }

  private finish(reason: EndReason, detail: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopPumping();
    this.pacer.clear(this.now());
    const h = this.handler;
    this.handler = undefined;
    h?.onEnded(reason, detail);
    this.ws.removeAllListeners('message');
    this.ws.on('error', NO_OP);
  }
}
