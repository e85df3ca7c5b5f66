/**
 * One RTP session per call: owns the UDP sockets (RTP on an even port, RTCP
 * on port+1 unless rtcp-mux, RFC 5761) and wires the pure stages to them and
 * to the shared 20 ms media clock:
 *
 *   socket ─▶ RtpReceiver (latch, jitter buffer, DTMF) ─▶ 'audio' / 'dtmf'
 *   sendAudio ─▶ RtpSender (pacer = playback truth, 20 ms slots) ─▶ socket ─▶ 'played'
 *   RtcpReporter ⇄ RTCP socket (SR/RR every ~5 s; BYE noticed)
 *
 * With SRTP a `PacketTransform` sits between each socket and the rest
 * (unprotect right after the socket, protect right before it), so the
 * latch, jitter buffer and RTCP only ever see authenticated packets.
 *
 * Symmetric RTP (RFC 4961): packets leave from the socket we receive on, and
 * go to the latched source of the peer's RTP once it arrives, else to the SDP
 * address. Remote 0.0.0.0 or port 0 (hold, RFC 3264 §8.4) sends nothing.
 * Raw G.711 both ways; transcoding to the agent's format is the call layer's
 * media chain (PCMU relayed untouched when the agent speaks ulaw_8000).
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { G711Law } from '../../media/g711.js';
import type { DtmfSendOptions } from '../../media/rtp-dtmf.js';
import { looksLikeRtcp } from '../../media/rtp-packet.js';
import { MediaClock, sharedMediaClock } from './media-clock.js';
import type { PortAllocator } from './port-allocator.js';
import { RtcpReporter, type PeerReport } from './rtcp-reporter.js';
import { RtpReceiver, type ReceiverCounters } from './rtp-receiver.js';
import { RtpSender, type SenderStats } from './rtp-sender.js';
import { SlotClock } from './slot-clock.js';
import type { Direction } from './sdp-origin.js';
import type { SipCodec } from './sdp-negotiation.js';
import type { JitterBufferStats } from '../../media/jitter-buffer.js';
import type { LatchOptions } from './symmetric-latch.js';
import type { PacketTransform } from './packet-transform.js';
import type { NegotiatedSrtp } from './sdes.js';
import type { SrtpStats } from '../../media/srtp/srtp-stats.js';
import { bindPair, closeSocket, type BoundPair } from './udp-pair.js';

const FRAME_MS = 20;

export interface RemoteMedia {
  address: string;
  port: number;
  /** Default port+1; ignored with rtcp-mux. */
  rtcpPort?: number;
}

export interface RtpSessionOptions {
  bindAddress: string;
  /** A fixed even port (0 = any), or take one from `portAllocator`. */
  port?: number;
  portAllocator?: PortAllocator;
  /** Address to put in SDP c= (NAT); defaults to bindAddress. */
  advertisedAddress?: string;
  codec: SipCodec;
  payloadType: number;
  telephoneEventPt?: number;
  remote: RemoteMedia;
  rtcpMux?: boolean;
  /** Jitter buffer: minimum/starting cushion (adaptive) or the fixed cushion; see RtpReceiverOptions. */
  jitterMs?: number;
  /** Playout delay follows the measured jitter (default true). */
  adaptiveJitter?: boolean;
  inactivityTimeoutMs: number;
  clockTickMs?: number;
  clock?: MediaClock;
  /** Continuous silence when idle (default true); false = pause with timestamp advance + M on resume. */
  sendSilence?: boolean;
  rtcpIntervalMs?: number;
  cname?: string;
  latch?: LatchOptions;
  now?: () => number;
  /** SRTP (or any protect/unprotect stage) between the sockets and RTP; none = plain RTP. */
  transform?: PacketTransform;
}

export interface RtpSessionEvents {
  /** One 20 ms frame of raw G.711 per tick, a fresh array the listener may keep. */
  audio: [frame: Uint8Array];
  dtmf: [key: string];
  played: [label: string];
  timeout: [];
  rtcp: [report: PeerReport];
  error: [err: Error];
}

/** What goes on and comes off the wire, with RTP timestamps (a recording places both by media time). */
export interface RtpMediaTap {
  /** An accepted audio payload from the peer, before the jitter buffer (the payload is only valid during the call). */
  received(payload: Uint8Array, timestamp: number, ssrc: number): void;
  /** An audio payload (queued audio or idle silence) sent in the slot at `slotMs` (valid during the call). */
  sent(payload: Uint8Array, timestamp: number, slotMs: number): void;
}

export interface RtpSessionStats {
  sent: SenderStats;
  received: ReceiverCounters;
  jitterBuffer: JitterBufferStats;
  /** Interarrival jitter (RFC 3550 A.8) in ms. */
  jitterMs: number;
  rtcpSent: number;
  rtcpReceived: number;
  latched: { address: string; port: number } | undefined;
  /** SRTP counters (protected, unprotected, dropped by reason) when the stream is SRTP. */
  srtp?: SrtpStats;
}

export class RtpSession extends EventEmitter<RtpSessionEvents> {
  readonly law: G711Law;
  private readonly sender: RtpSender;
  private readonly receiver: RtpReceiver;
  private readonly rtcp: RtcpReporter;
  private readonly clock: MediaClock;
  private readonly now: () => number;
  private readonly frameOut = new Uint8Array(160);
  private pair: BoundPair | undefined;
  private remote: RemoteMedia;
  /** Playout slots: one jitter-buffer frame per tick (a stall of > 100 ms is skipped, not burst). */
  private readonly playout = new SlotClock(FRAME_MS, 5);
  private popPending = false;
  private openedMs = 0;
  private receiving = true;
  private timedOut = false;
  private closed = false;
  private readonly transform: PacketTransform | undefined;

  constructor(private readonly opts: RtpSessionOptions) {
    super();
    // G.722 payloads travel as opaque 160-byte frames; its idle fill uses μ-law's 0xFF, which a
    // G.722 decoder also turns into digital silence (−84 dBFS, checked against ffmpeg's decoder).
    this.law = opts.codec === 'PCMA' ? 'alaw' : 'ulaw';
    this.remote = { ...opts.remote };
    this.clock = opts.clock ?? sharedMediaClock;
    this.now = opts.now ?? (() => performance.now());
    this.transform = opts.transform;
    const common = { law: this.law, payloadType: opts.payloadType, telephoneEventPt: opts.telephoneEventPt };
    this.sender = new RtpSender({ ...common, sendSilence: opts.sendSilence }, (b, n) => this.sendRtp(b, n), (l) => this.emit('played', l));
    this.receiver = new RtpReceiver({ ...common, jitterMs: opts.jitterMs, adaptiveJitter: opts.adaptiveJitter, latch: opts.latch }, (k) => this.emit('dtmf', k));
    this.rtcp = new RtcpReporter({ ssrc: this.sender.ssrc, cname: opts.cname ?? `bridge-${this.sender.ssrc.toString(16)}`, intervalMs: opts.rtcpIntervalMs });
  }

  /** Bind the sockets and join the media clock. */
  async open(): Promise<void> {
    if (this.pair) throw new Error('RtpSession: already open');
    this.pair = await bindPair({ address: this.opts.bindAddress, port: this.opts.port, allocator: this.opts.portAllocator, rtcpMux: this.opts.rtcpMux ?? false });
    this.pair.rtp.on('message', (msg, r) => this.onRtpDatagram(msg, r.address, r.port));
    this.pair.rtcp?.on('message', (msg) => this.onRtcp(msg));
    for (const s of [this.pair.rtp, this.pair.rtcp]) s?.on('error', (err) => this.emit('error', err));
    this.openedMs = this.now();
    this.clock.add(this.tick);
  }

  get localPort(): number {
    return this.pair?.port ?? 0;
  }

  get localRtcpPort(): number {
    return this.opts.rtcpMux ? this.localPort : this.localPort + 1;
  }

  /** For SDP c=. */
  get advertisedAddress(): string {
    return this.opts.advertisedAddress ?? this.opts.bindAddress;
  }

  get ssrc(): number {
    return this.sender.ssrc;
  }

  /** New remote after a re-INVITE: the latch restarts so the new source is taken at once. */
  setRemote(remote: RemoteMedia): void {
    this.remote = { ...remote };
    this.receiver.latch.reset();
  }

  /** New SRTP keys after a re-INVITE changed them (RFC 4568 §7.1.4). */
  rekey(srtp: NegotiatedSrtp): void {
    this.transform?.rekey?.(srtp);
  }

  /** Direction from our side of the SDP: whether we may send, and whether the peer sends (inactivity). */
  setDirection(direction: Direction): void {
    this.sender.setSending(direction === 'sendrecv' || direction === 'sendonly');
    this.receiving = direction === 'sendrecv' || direction === 'recvonly';
    this.receiver.lastPacketMs = Math.max(this.receiver.lastPacketMs, this.now());
  }

  setMediaTap(tap: RtpMediaTap | undefined): void {
    this.receiver.tap = tap && ((p, ts, ssrc) => tap.received(p, ts, ssrc));
    this.sender.tap = tap && ((p, ts, slotMs) => tap.sent(p, ts, slotMs));
  }

  sendAudio(frame: Uint8Array): void {
    if (!this.closed) this.sender.enqueue(frame);
  }

  mark(label: string): void {
    if (!this.closed) this.sender.mark(label, this.now());
  }

  /** Drops queued audio and pending marks; returns frames dropped. */
  clear(): number {
    return this.sender.clear(this.now());
  }

  unplayedMs(): number {
    return this.sender.unplayedMs(this.now());
  }

  /** RFC 4733 keys; false if telephone-event was not negotiated or a key is not 0-9*#A-D. */
  sendDtmf(keys: string, opts?: DtmfSendOptions): boolean {
    return this.sender.sendDtmf(keys, opts);
  }

  get stats(): RtpSessionStats {
    const l = this.receiver.latch;
    return {
      sent: { ...this.sender.stats }, received: { ...this.receiver.counters }, jitterBuffer: this.receiver.jitterStats,
      jitterMs: this.receiver.rtcpStats.jitter / 8, rtcpSent: this.rtcp.sent, rtcpReceived: this.rtcp.received,
      latched: l.address === undefined ? undefined : { address: l.address, port: l.port },
      ...(this.transform?.stats ? { srtp: structuredClone(this.transform.stats) } : {}),
    };
  }

  /** Leave the clock, send RTCP BYE (§6.6), close the sockets, give the port back. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.remove(this.tick);
    const pair = this.pair;
    if (!pair) return;
    this.sendRtcp(this.now(), true);
    await Promise.all([closeSocket(pair.rtp), pair.rtcp ? closeSocket(pair.rtcp) : undefined]);
    this.opts.portAllocator?.release(pair.port);
  }

  private readonly tick = (nowMs: number): void => {
    if (this.closed) return;
    this.sender.tick(nowMs);
    // Pop after this loop iteration's poll phase: timers run before sockets are read (libuv), so a
    // datagram that arrived just before the tick (or during a stall) is in the buffer by then.
    if (!this.popPending) {
      this.popPending = true;
      setImmediate(this.popDeferred, nowMs);
    }
    if (this.rtcp.due(nowMs)) this.sendRtcp(nowMs, false);
    this.checkInactivity(nowMs);
  };

  private readonly popDeferred = (nowMs: number): void => {
    this.popPending = false;
    if (!this.closed) this.popFrames(nowMs);
  };

  /** One jitter-buffer frame per 20 ms of wall time, on the same kind of schedule as the sender's. */
  private popFrames(nowMs: number): void {
    for (let n = this.playout.tick(nowMs); n > 0; n--) {
      // The time of this pop, not of the tick: arrivals are stamped with this.now() when read.
      const got = this.receiver.pop(this.frameOut, this.now());
      if (got === 'idle') continue;
      // The jitter buffer conceals (and pauses) with G.711 arithmetic; on G.722 bytes that is loud
      // noise that also derails the ADPCM decoder, so a G.722 gap is its silence codewords instead.
      if (got !== 'audio' && this.opts.codec === 'G722') this.frameOut.fill(0xff);
      this.emit('audio', this.frameOut.slice());
    }
  }

  private checkInactivity(nowMs: number): void {
    if (this.timedOut || !this.receiving) return;
    const last = Math.max(this.receiver.lastPacketMs, this.openedMs);
    if (nowMs - last >= this.opts.inactivityTimeoutMs) {
      this.timedOut = true;
      this.emit('timeout');
    }
  }

  private onRtpDatagram(msg: Buffer, address: string, port: number): void {
    if (this.closed) return;
    if (this.opts.rtcpMux && looksLikeRtcp(msg, msg.length)) {
      this.onRtcp(msg);
      return;
    }
    const rtp = this.transform ? this.transform.unprotectRtp(msg, msg.length) : msg;
    if (rtp) this.receiver.receive(rtp, rtp.length, address, port, this.now());
  }

  private onRtcp(packet: Buffer): void {
    const msg = this.transform ? this.transform.unprotectRtcp(packet, packet.length) : packet;
    if (!msg) return;
    const report = this.rtcp.receive(msg, msg.length, this.now(), Date.now());
    if (report) this.emit('rtcp', report);
  }

  private destination(rtcp: boolean): { address: string; port: number } | undefined {
    const l = this.receiver.latch;
    const address = l.address ?? this.remote.address;
    const rtpPort = l.address !== undefined ? l.port : this.remote.port;
    if (address === '0.0.0.0' || address === '::' || rtpPort === 0) return undefined;
    if (!rtcp || this.opts.rtcpMux) return { address, port: rtpPort };
    return { address, port: l.address !== undefined ? l.port + 1 : (this.remote.rtcpPort ?? this.remote.port + 1) };
  }

  private sendRtp(buf: Uint8Array, length: number): void {
    const to = this.destination(false);
    if (!to || !this.pair) return;
    if (!this.transform) this.pair.rtp.send(buf, 0, length, to.port, to.address);
    else this.pair.rtp.send(this.transform.protectRtp(buf, length), to.port, to.address);
  }

  private sendRtcp(nowMs: number, bye: boolean): void {
    const to = this.destination(true);
    const socket = this.opts.rtcpMux ? this.pair?.rtp : this.pair?.rtcp;
    if (!to || !socket) return;
    const n = this.rtcp.build(nowMs, Date.now(), this.sender.stats, this.receiver.rtcpStats, bye);
    const packet = this.rtcp.buffer.slice(0, n);
    socket.send(this.transform ? this.transform.protectRtcp(packet, n) : packet, to.port, to.address);
  }
}
