/**
 * The inbound RTP stream of one session: validate (RFC 3550 §5.1 / A.1),
 * latch (RFC 4961), split audio from RFC 4733 events, reorder and smooth in
 * the jitter buffer, keep RTCP reception stats (§6.4.1). No I/O: the owner
 * passes datagrams in and pops one frame per 20 ms tick.
 */
import type { G711Law } from '../../media/g711.js';
import { JitterBuffer, type JitterBufferStats, type PopResult } from '../../media/jitter-buffer.js';
import { DtmfReceiver, newTelephoneEvent, parseTelephoneEvent } from '../../media/rtp-dtmf.js';
import { newRtpHeader, parseRtpHeader, type RtpParseError } from '../../media/rtp-packet.js';
import { RtpReceiveStats } from '../../media/rtp-receive-stats.js';
import { SymmetricLatch, type LatchOptions } from './symmetric-latch.js';

export interface RtpReceiverOptions {
  law: G711Law;
  payloadType: number;
  telephoneEventPt?: number;
  /** Adaptive (default): the minimum and starting cushion, default 0 (a frame plays at the first tick after it arrives). Fixed: the cushion, default 60. */
  jitterMs?: number;
  /** Most audio buffered ahead of playout (default 200 ms adaptive, cushion + 100 fixed). */
  maxJitterMs?: number;
  /** Playout delay follows the measured jitter (default true); false = the fixed cushion of `jitterMs`. */
  adaptiveJitter?: boolean;
  latch?: LatchOptions;
}

export type ReceiveResult = 'audio' | 'dtmf' | RtpParseError | 'wrong-pt' | 'wrong-source' | 'duplicate' | 'late';

export interface ReceiverCounters {
  packets: number;
  malformed: number;
  wrongPt: number;
  wrongSource: number;
  ssrcChanges: number;
  dtmfPackets: number;
}

export class RtpReceiver {
  readonly latch: SymmetricLatch;
  readonly rtcpStats = new RtpReceiveStats();
  readonly counters: ReceiverCounters = { packets: 0, malformed: 0, wrongPt: 0, wrongSource: 0, ssrcChanges: 0, dtmfPackets: 0 };
  private readonly jitter: JitterBuffer;
  private readonly dtmf = new DtmfReceiver();
  private readonly header = newRtpHeader();
  private readonly event = newTelephoneEvent();
  private ssrc = -1;
  /** Told of every accepted audio payload as it arrives, before the jitter buffer (recordings); the payload is a view of the datagram. */
  tap: ((payload: Uint8Array, timestamp: number, ssrc: number) => void) | undefined;
  /** Time of the last accepted RTP packet (ms), for the inactivity timer. */
  lastPacketMs = -Infinity;

  constructor(private readonly opts: RtpReceiverOptions, private readonly onDtmf: (key: string) => void) {
    const adaptive = opts.adaptiveJitter ?? true;
    const frames = adaptive ? Math.max(0, Math.round((opts.jitterMs ?? 0) / 20)) : Math.max(1, Math.round((opts.jitterMs ?? 60) / 20));
    const maxMs = opts.maxJitterMs ?? (adaptive ? Math.max(200, frames * 20 + 100) : frames * 20 + 100);
    const maxFrames = Math.max(frames + 2, Math.round(maxMs / 20));
    this.jitter = new JitterBuffer({ law: opts.law, delayFrames: frames, maxDelayFrames: maxFrames, adaptive });
    this.latch = new SymmetricLatch(opts.latch);
  }

  get jitterStats(): JitterBufferStats {
    return this.jitter.stats;
  }

  /** One datagram from `address:port` at `nowMs`. */
  receive(buf: Uint8Array, length: number, address: string, port: number, nowMs: number): ReceiveResult {
    this.counters.packets++;
    const h = this.header;
    const err = parseRtpHeader(buf, length, h);
    if (err) {
      this.counters.malformed++;
      return err;
    }
    const isDtmf = h.payloadType === this.opts.telephoneEventPt;
    if (h.payloadType !== this.opts.payloadType && !isDtmf) {
      this.counters.wrongPt++; // §8.5: ignore payload types we did not negotiate (CN, comfort noise, …)
      return 'wrong-pt';
    }
    if (!this.latch.offer(address, port, h.sequenceNumber, nowMs)) {
      this.counters.wrongSource++;
      return 'wrong-source';
    }
    this.lastPacketMs = nowMs;
    if (h.ssrc !== this.ssrc) this.newSource(h.ssrc);
    this.rtcpStats.update(h.ssrc, h.sequenceNumber, h.timestamp, nowMs * 8, !isDtmf);
    if (isDtmf) {
      this.jitter.noteOtherPacket(h.sequenceNumber);
      return this.onEvent(buf);
    }
    const payload = buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength);
    this.tap?.(payload, h.timestamp, h.ssrc);
    const r = this.jitter.push(h.sequenceNumber, h.timestamp, payload, nowMs);
    return r === 'duplicate' || r === 'late' ? r : 'audio';
  }

  /** The next 20 ms frame (see JitterBuffer.pop); `nowMs` on the clock of `receive`'s. */
  pop(out: Uint8Array, nowMs?: number): PopResult {
    return this.jitter.pop(out, nowMs);
  }

  private newSource(ssrc: number): void {
    if (this.ssrc !== -1) {
      this.counters.ssrcChanges++; // transfer / re-INVITE / SBC failover: a new stream, new sequence space
      this.jitter.reset();
    }
    this.ssrc = ssrc;
  }

  private onEvent(buf: Uint8Array): ReceiveResult {
    const h = this.header;
    this.counters.dtmfPackets++;
    if (!parseTelephoneEvent(buf, h.payloadOffset, h.payloadLength, this.event)) return 'too-short';
    const key = this.dtmf.receive(h.ssrc, h.timestamp, h.marker, this.event);
    if (key !== undefined) this.onDtmf(key);
    return 'dtmf';
  }
}
