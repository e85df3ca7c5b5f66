/**
 * A simulated SIP phone's media side for recording tests: real UDP RTP.
 * It sends its audio as 20 ms packets on a drift-free schedule (packet k at
 * t0 + 20k, RTP timestamp 160k, as a phone does), then silence until
 * stopped, and keeps every packet it receives with its arrival time. What it
 * "heard" is the received payloads decoded and placed by their RTP
 * timestamps (the way an RTP endpoint plays them). Its timeline starts when
 * it opened its socket, before anything could reach it: the far end may
 * send (a broadcast its message) before the phone sends its first packet,
 * at `startMs`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { writeRtpPacket } from '../../media/rtp-packet.js';

export interface PhoneCodec {
  payloadType: number;
  /** Samples per ms at the codec's audio rate (8 for G.711, 16 for G.722). */
  perMs: number;
  /** Encodes the whole signal into 160-byte payloads. */
  encode(pcm: Int16Array): Uint8Array[];
  /** Decodes payloads in order (one stream), each to 20 ms of samples. */
  decode(payloads: Uint8Array[]): Int16Array[];
  silence: number;
}

export interface Received {
  atMs: number;
  seq: number;
  ts: number;
  payload: Uint8Array;
}

export class RtpPhone {
  readonly received: Received[] = [];
  private socket!: Socket;
  /** performance.now() at the timeline's 0 (the socket opened). */
  private origin = 0;
  /** When it sent its first packet, on its timeline (ms). */
  startMs = 0;
  private stopped = false;
  private sending: Promise<void> | undefined;
  /** Packets sent so far. */
  sentPackets = 0;

  constructor(readonly codec: PhoneCodec) {}

  async open(): Promise<number> {
    this.origin = performance.now();
    this.socket = createSocket('udp4');
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.socket.on('message', (m) => {
      if (m.length < 12 || (m[1]! & 0x7f) !== this.codec.payloadType) return;
      this.received.push({ atMs: this.nowMs, seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), payload: m.subarray(12) });
    });
    return this.socket.address().port;
  }

  /** Sends `pcm` then silence, paced, to `port` until `stop()`, from now (`startMs`). */
  start(pcm: Int16Array, port: number): void {
    const payloads = this.codec.encode(pcm);
    const silence = new Uint8Array(160).fill(this.codec.silence);
    const t0 = performance.now();
    this.startMs = t0 - this.origin;
    this.sending = (async () => {
      for (let k = 0; !this.stopped; k++) {
        const due = t0 + k * 20 - performance.now();
        if (due > 1) await new Promise((r) => setTimeout(r, due));
        if (this.stopped) break;
        // A buffer per packet: dgram may still read a sent buffer after send() returns.
        const buf = new Uint8Array(172);
        const len = writeRtpPacket(buf, { marker: k === 0, payloadType: this.codec.payloadType, sequenceNumber: (4000 + k) & 0xffff, timestamp: (k * 160) >>> 0, ssrc: 0x5eed }, payloads[k] ?? silence);
        this.socket.send(buf.subarray(0, len), port, '127.0.0.1');
        this.sentPackets++;
      }
    })();
  }

  /** Now, on its timeline. */
  get nowMs(): number {
    return performance.now() - this.origin;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sending;
  }

  close(): void {
    this.socket?.close();
  }

  /** Where its first packet lies on its timeline (samples). */
  get startAt(): number {
    return Math.round(this.startMs * this.codec.perMs);
  }

  /** What it sent, on its timeline (packet k at startMs + 20k ms). */
  sentPcm(pcm: Int16Array): Int16Array {
    const frames = this.codec.decode(this.codec.encode(pcm));
    const out = new Int16Array(this.startAt + this.sentPackets * 20 * this.codec.perMs);
    frames.forEach((f, k) => k < this.sentPackets && out.set(f, this.startAt + k * f.length));
    return out;
  }

  /**
   * Where each received packet played on its timeline: by RTP timestamp from
   * the first one, that stream placed by its most prompt packet (arrival minus
   * timestamp offset: a packet cannot arrive before it was sent).
   */
  placed(): Array<Received & { startMs: number }> {
    const r = [...this.received].sort((a, b) => ((a.ts - b.ts) | 0));
    if (r.length === 0) return [];
    const ts0 = r[0]!.ts;
    const off = (p: Received): number => ((p.ts - ts0) | 0) / 8;
    const base = Math.min(...r.map((p) => p.atMs - off(p)));
    return r.map((p) => ({ ...p, startMs: base + off(p) }));
  }

  /** What it heard, on its timeline, up to `untilMs`. */
  heardPcm(untilMs = this.nowMs): Int16Array {
    const placed = this.placed();
    const frames = this.codec.decode(placed.map((p) => p.payload));
    const out = new Int16Array(Math.ceil(untilMs * this.codec.perMs));
    placed.forEach((p, i) => {
      const at = Math.round(p.startMs * this.codec.perMs);
      if (at >= 0 && at < out.length) out.set(frames[i]!.subarray(0, out.length - at), at);
    });
    return out;
  }

  /** Spans of non-silent packets played back to back, [from, to) in samples on its timeline. */
  audioRuns(): Array<[number, number]> {
    const runs: Array<[number, number]> = [];
    for (const p of this.placed()) {
      if (p.payload.every((b) => b === this.codec.silence)) continue;
      const from = Math.round(p.startMs * this.codec.perMs);
      const to = from + 20 * this.codec.perMs;
      const last = runs[runs.length - 1];
      if (last && from - last[1] <= 2) last[1] = to;
      else runs.push([from, to]);
    }
    return runs;
  }
}
