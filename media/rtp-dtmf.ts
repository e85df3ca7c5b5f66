/**
 * RFC 4733 telephone-event payload (§2.3) and the two state machines around
 * it: a receiver that reports each key once, and a sender that produces the
 * packet sequence for one key.
 *
 *    0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 */

export const DTMF_PAYLOAD_BYTES = 4;
const KEYS = '0123456789*#ABCD';

/** RFC 4733 §3.2 event code of a key ('0'–'9', '*', '#', 'A'–'D'); undefined otherwise. */
export function dtmfEventCode(key: string): number | undefined {
  const i = KEYS.indexOf(key.toUpperCase());
  return key.length === 1 && i >= 0 ? i : undefined;
}

/** Key of an event code 0–15 (16 = flash and others are not keys: undefined). */
export function dtmfKey(event: number): string | undefined {
  return event >= 0 && event < 16 ? KEYS[event] : undefined;
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function newTelephoneEvent(): TelephoneEvent {
  return { event: 0, end: false, volume: 0, duration: 0 };
}

/** §2.3: parse 4 bytes at `offset` into `out`; false if too short. */
export function parseTelephoneEvent(buf: Uint8Array, offset: number, length: number, out: TelephoneEvent): boolean {
  if (length < DTMF_PAYLOAD_BYTES) return false;
  out.event = buf[offset]!;
  out.end = (buf[offset + 1]! & 0x80) !== 0;
  out.volume = buf[offset + 1]! & 0x3f;
  out.duration = (buf[offset + 2]! << 8) | buf[offset + 3]!;
  return true;
}

/** §2.3: write 4 bytes at `offset` (R bit 0). */
export function writeTelephoneEvent(buf: Uint8Array, offset: number, e: TelephoneEvent): number {
  buf[offset] = e.event & 0xff;
  buf[offset + 1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  buf[offset + 2] = (e.duration >>> 8) & 0xff;
  buf[offset + 3] = e.duration & 0xff;
  return DTMF_PAYLOAD_BYTES;
}

const HISTORY = 8;

/**
 * Receiver (§2.5.2). An event is identified by (SSRC, RTP timestamp): every
 * update and the three end packets (§2.5.1.4) share them, so the key is
 * reported once, on the first packet with a non-zero duration — the start
 * packet may be lost, so any update or end packet can be the first seen.
 * Duration 0 is ignored (§2.5.2.3 guards against zero-length events).
 * A long event continues in a new segment whose timestamp is the old one plus
 * the old segment's duration, without M (§2.5.1.3): not a new key press.
 * A small ring of recent events absorbs late retransmissions of older keys.
 */
export class DtmfReceiver {
  private readonly ssrcs = new Float64Array(HISTORY).fill(-1);
  private readonly stamps = new Float64Array(HISTORY);
  private readonly ends = new Float64Array(HISTORY); // timestamp + duration seen
  private readonly codes = new Int16Array(HISTORY);
  private next = 0;
  /** Packets that repeated an event already reported. */
  repeats = 0;

  /** Returns the key to report, or undefined (repeat, zero duration, not a key). */
  receive(ssrc: number, timestamp: number, marker: boolean, e: TelephoneEvent): string | undefined {
    if (e.duration === 0) return undefined;
    const i = this.find(ssrc, timestamp);
    if (i >= 0) {
      this.repeats++;
      this.ends[i] = Math.max(this.ends[i]!, timestamp + e.duration);
      return undefined;
    }
    const continuation = !marker && this.isContinuation(ssrc, timestamp, e.event);
    this.remember(ssrc, timestamp, e.event, timestamp + e.duration);
    return continuation ? undefined : dtmfKey(e.event);
  }

  private find(ssrc: number, timestamp: number): number {
    for (let i = 0; i < HISTORY; i++) if (this.ssrcs[i] === ssrc && this.stamps[i] === timestamp) return i;
    return -1;
  }

  private isContinuation(ssrc: number, timestamp: number, code: number): boolean {
    for (let i = 0; i < HISTORY; i++) {
      if (this.ssrcs[i] === ssrc && this.codes[i] === code && this.ends[i]! % 2 ** 32 === timestamp
        && this.ends[i]! - this.stamps[i]! >= 0xffff) return true;
    }
    return false;
  }

  private remember(ssrc: number, timestamp: number, code: number, end: number): void {
    const i = this.next;
    this.next = (i + 1) % HISTORY;
    this.ssrcs[i] = ssrc;
    this.stamps[i] = timestamp;
    this.codes[i] = code;
    this.ends[i] = end;
  }
}

export interface DtmfSendOptions {
  /** Tone length in ms (RFC 4733 suggests ≥ 40; trunks like 100–250). */
  durationMs?: number;
  /** −dBm0, 0–63 (§2.3.4); 10 is the common default. */
  volume?: number;
  /** Packet interval in ms (§2.5.1.2: one update per packetization interval). */
  packetMs?: number;
  /** Sample rate of the event clock (8000 for G.711 sessions). */
  clockRate?: number;
}

/** One packet of a key's sequence. */
export interface DtmfPacketPlan {
  marker: boolean;
  end: boolean;
  duration: number;
}

/**
 * Sender (§2.5.1) for one key: all packets carry the event's start timestamp
 * (the caller holds it), M on the first (§2.5.1.1), duration growing by one
 * packet interval per update (§2.5.1.2), then the final duration with E set
 * three times (§2.5.1.4). `next()` fills `out` and says whether more follow.
 */
export class DtmfSender {
  readonly event: TelephoneEvent;
  private readonly step: number;
  private readonly total: number;
  private sentUpdates = 0;
  private sentEnds = 0;

  constructor(key: string, opts: DtmfSendOptions = {}) {
    const code = dtmfEventCode(key);
    if (code === undefined) throw new RangeError(`DtmfSender: not a DTMF key: ${JSON.stringify(key)}`);
    const rate = opts.clockRate ?? 8000;
    this.step = Math.round(((opts.packetMs ?? 20) * rate) / 1000);
    const wanted = Math.round(((opts.durationMs ?? 100) * rate) / 1000);
    // Whole packets, at least one, within one 16-bit segment (§2.5.1.3 not needed for key presses).
    this.total = Math.min(0xffff, Math.max(this.step, Math.round(wanted / this.step) * this.step));
    this.event = { event: code, end: false, volume: opts.volume ?? 10, duration: 0 };
  }

  get done(): boolean {
    return this.sentEnds >= 3;
  }

  /** Plan for the next packet (updates `event` in place), or undefined when done. */
  next(out: DtmfPacketPlan): DtmfPacketPlan | undefined {
    if (this.done) return undefined;
    const updates = Math.ceil(this.total / this.step) - 1; // packets before the first end packet
    if (this.sentUpdates < updates) {
      out.marker = this.sentUpdates === 0;
      this.sentUpdates++;
      this.event.duration = this.sentUpdates * this.step;
      this.event.end = false;
    } else {
      out.marker = this.sentUpdates === 0 && this.sentEnds === 0;
      this.sentEnds++;
      this.event.duration = this.total;
      this.event.end = true;
    }
    out.end = this.event.end;
    out.duration = this.event.duration;
    return out;
  }
}

/** The whole packet plan for one key (for tests and tools). */
export function dtmfPacketPlan(key: string, opts?: DtmfSendOptions): DtmfPacketPlan[] {
  const s = new DtmfSender(key, opts);
  const plan: DtmfPacketPlan[] = [];
  for (;;) {
    const p = s.next({ marker: false, end: false, duration: 0 });
    if (!p) return plan;
    plan.push(p);
  }
}
