/**
 * The outbound RTP stream of one session (RFC 3550 §5.1, RFC 3551, RFC 4733).
 * No I/O and no timer: the owner calls `tick(now)` from the shared clock and
 * gets packets through `transmit`.
 *
 * - Send slots every 20 ms on a fixed schedule (SlotClock: one slot per
 *   tick whatever the phase of the first tick, a second one only when
 *   genuinely behind), so the send rate follows the monotonic clock, not the
 *   tick timer's drift. A stall of more than `maxCatchUpSlots` is skipped,
 *   not burst: the timestamp advances by the skipped time and M marks the
 *   gap (§5.1).
 * - Each slot takes at most one frame from the PlayoutPacer (the queue is the
 *   playback truth): marks queued behind a frame fire when that frame's 20 ms
 *   have elapsed after it was sent, i.e. when the caller has heard it.
 * - Nothing to send: continuous G.711 silence (default; many trunks and SBCs
 *   treat an RTP gap as a dead call), or with `sendSilence: false` a pause:
 *   timestamp keeps advancing and the next packet carries M (RFC 3551 §4.1).
 * - DTMF (RFC 4733 §2.5.1) takes the slots while a key plays; audio waits.
 * - Sequence and timestamp start random (§5.1), SSRC random and constant.
 */
import { randomInt } from 'node:crypto';
import { g711Silence, type G711Law } from '../../media/g711.js';
import { PlayoutPacer } from '../../media/playout-pacer.js';
import { DtmfSender, dtmfEventCode, writeTelephoneEvent, type DtmfPacketPlan, type DtmfSendOptions } from '../../media/rtp-dtmf.js';
import { RTP_HEADER_BYTES, writeRtpHeader, type RtpSendHeader } from '../../media/rtp-packet.js';
import { SlotClock } from './slot-clock.js';

const FRAME_MS = 20;
const FRAME_SAMPLES = 160;
const RING = 32; // packet buffers in rotation: dgram may still hold one after send() returns
const DTMF_GAP_SLOTS = 3; // ≥ 40 ms between keys (RFC 4733 §2.5.1.2 leaves it to the sender)

export interface RtpSenderOptions {
  law: G711Law;
  payloadType: number;
  telephoneEventPt?: number;
  ssrc?: number;
  sendSilence?: boolean;
  maxCatchUpSlots?: number;
  /** Bounded queue (ms); the oldest audio goes first. */
  maxQueuedMs?: number;
}

export interface SenderStats {
  packets: number;
  octets: number;
  /** RTP timestamp and clock time of the last packet sent (for SR, RFC 3550 §6.4.1). */
  lastTimestamp: number;
  lastSentMs: number;
  skippedSlots: number;
}

export class RtpSender {
  readonly ssrc: number;
  private seq = randomInt(0, 0x10000);
  private ts = randomInt(0, 2 ** 32);
  private marker = true;
  private readonly slots: SlotClock;
  private lastAudioEndMs = 0;
  private readonly pacer: PlayoutPacer<Uint8Array | string>;
  private readonly played: Array<{ label: string; dueMs: number }> = [];
  private readonly ring: Uint8Array[];
  private ringPos = 0;
  private readonly silence: Uint8Array;
  private readonly header: RtpSendHeader;
  private readonly plan: DtmfPacketPlan = { marker: false, end: false, duration: 0 };
  private readonly keys: Array<{ key: string; opts: DtmfSendOptions }> = [];
  private dtmf: DtmfSender | undefined;
  private dtmfTs = 0;
  private gapSlots = 0;
  private sending = true;
  readonly stats: SenderStats = { packets: 0, octets: 0, lastTimestamp: 0, lastSentMs: 0, skippedSlots: 0 };
  /** Told of every audio payload (queued audio or idle silence) as it goes out, with its RTP timestamp and slot time (recordings). */
  tap: ((payload: Uint8Array, timestamp: number, slotMs: number) => void) | undefined;

  constructor(
    private readonly opts: RtpSenderOptions,
    private readonly transmit: (packet: Uint8Array, length: number) => void,
    private readonly onPlayed: (label: string) => void,
  ) {
    this.ssrc = opts.ssrc ?? randomInt(1, 2 ** 32);
    this.slots = new SlotClock(FRAME_MS, opts.maxCatchUpSlots ?? 5);
    // Exactly one frame per 20 ms slot: a lead just under one frame keeps float rounding in the
    // slot times (performance.now() + 20 + 20 …) from ever releasing two frames into one slot.
    this.pacer = new PlayoutPacer({ leadMs: FRAME_MS - 1, maxQueuedMs: opts.maxQueuedMs ?? 120_000 });
    this.ring = Array.from({ length: RING }, () => new Uint8Array(RTP_HEADER_BYTES + 480));
    this.silence = new Uint8Array(FRAME_SAMPLES).fill(g711Silence(opts.law));
    this.header = { marker: false, payloadType: opts.payloadType, sequenceNumber: 0, timestamp: 0, ssrc: this.ssrc };
  }

  /** Queue one 160-byte G.711 frame (kept by reference until sent). */
  enqueue(frame: Uint8Array): void {
    this.pacer.enqueue(frame, FRAME_MS);
  }

  /** `onPlayed(label)` once everything queued before it has been sent and heard. */
  mark(label: string, nowMs: number): void {
    if (this.pacer.pendingItems > 0) this.pacer.enqueue(label, 0);
    else this.played.push({ label, dueMs: Math.max(nowMs, this.lastAudioEndMs) });
  }

  /** Drop queued audio and pending marks (barge-in). Already-sent audio still plays out. */
  clear(nowMs: number): number {
    this.played.length = 0;
    return this.pacer.clear(nowMs).filter((v) => typeof v !== 'string').length;
  }

  unplayedMs(nowMs: number): number {
    return this.pacer.pendingMs + Math.max(0, this.lastAudioEndMs - nowMs);
  }

  /** Queue keys for RFC 4733 sending; false when telephone-event was not negotiated or a key is invalid. */
  sendDtmf(keys: string, opts: DtmfSendOptions = {}): boolean {
    if (this.opts.telephoneEventPt === undefined || ![...keys].every((k) => dtmfEventCode(k) !== undefined)) return false;
    for (const key of keys) this.keys.push({ key, opts: { ...opts, packetMs: FRAME_MS } });
    return true;
  }

  /** Hold / no destination: slots pass (audio is consumed, marks fire) but nothing goes out. */
  setSending(on: boolean): void {
    if (on && !this.sending) this.marker = true;
    this.sending = on;
  }

  get dropped(): number {
    return this.pacer.dropped;
  }

  /** Run every slot that is due; fire marks whose audio has played. */
  tick(nowMs: number): void {
    const run = this.slots.tick(nowMs);
    if (this.slots.skipped > 0) this.skip(this.slots.skipped);
    // A slot run ahead of its schedule (see SlotClock) leaves now: its audio, marks and SR time count from now.
    for (let i = 0; i < run; i++) this.slot(Math.min(this.slots.firstSlotMs + i * FRAME_MS, nowMs));
    this.firePlayed(nowMs);
  }

  private skip(slots: number): void {
    this.ts = (this.ts + slots * FRAME_SAMPLES) >>> 0;
    this.marker = true;
    this.stats.skippedSlots += slots;
  }

  private slot(slotMs: number): void {
    if (!this.dtmf && this.gapSlots === 0 && this.keys.length > 0) this.startKey();
    if (this.dtmf) this.sendDtmfPacket(slotMs);
    else {
      if (this.gapSlots > 0) this.gapSlots--;
      this.sendAudioSlot(slotMs);
    }
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
  }

  private sendAudioSlot(slotMs: number): void {
    let frame: Uint8Array | undefined;
    // One frame per slot, whatever the slot times: a second frame released here would be overwritten (lost).
    this.pacer.pump(slotMs, (item) => {
      if (typeof item === 'string') this.played.push({ label: item, dueMs: frame ? slotMs + FRAME_MS : slotMs });
      else frame = item;
    }, 1);
    if (frame) this.lastAudioEndMs = slotMs + FRAME_MS;
    else if (this.opts.sendSilence === false) {
      this.marker = true; // next packet starts a talk-spurt
      return;
    }
    this.send(this.opts.payloadType, frame ?? this.silence, slotMs);
  }

  private startKey(): void {
    const { key, opts } = this.keys.shift()!;
    this.dtmf = new DtmfSender(key, opts);
    this.dtmfTs = this.ts; // §2.5.1.1: the event's timestamp is its start
  }

  private sendDtmfPacket(slotMs: number): void {
    const d = this.dtmf!;
    const p = d.next(this.plan)!;
    if (this.sending) {
      const buf = this.nextBuffer();
      writeRtpHeader(buf, { marker: p.marker, payloadType: this.opts.telephoneEventPt!, sequenceNumber: this.seq, timestamp: this.dtmfTs, ssrc: this.ssrc });
      writeTelephoneEvent(buf, RTP_HEADER_BYTES, d.event);
      this.seq = (this.seq + 1) & 0xffff;
      this.account(RTP_HEADER_BYTES + 4, this.ts, slotMs); // the media clock, not the event start, for SR
      this.transmit(buf, RTP_HEADER_BYTES + 4);
    }
    if (d.done) {
      this.dtmf = undefined;
      this.gapSlots = DTMF_GAP_SLOTS;
    }
  }

  private send(pt: number, payload: Uint8Array, slotMs: number): void {
    if (!this.sending) return;
    const buf = this.nextBuffer();
    const h = this.header;
    h.marker = this.marker;
    h.payloadType = pt;
    h.sequenceNumber = this.seq;
    h.timestamp = this.ts;
    writeRtpHeader(buf, h);
    buf.set(payload, RTP_HEADER_BYTES);
    this.marker = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.account(RTP_HEADER_BYTES + payload.length, this.ts, slotMs);
    this.transmit(buf, RTP_HEADER_BYTES + payload.length);
    this.tap?.(payload, this.ts, slotMs);
  }

  private account(bytes: number, ts: number, slotMs: number): void {
    this.stats.packets++;
    this.stats.octets += bytes - RTP_HEADER_BYTES;
    this.stats.lastTimestamp = ts;
    this.stats.lastSentMs = slotMs;
  }

  private nextBuffer(): Uint8Array {
    const b = this.ring[this.ringPos]!;
    this.ringPos = (this.ringPos + 1) % RING;
    return b;
  }

  private firePlayed(nowMs: number): void {
    while (this.played.length > 0 && this.played[0]!.dueMs <= nowMs) this.onPlayed(this.played.shift()!.label);
  }
}
