/**
 * RTCP for one session (RFC 3550 §6): when to send (§6.2/§6.3: about every
 * 5 s, randomised ×[0.5, 1.5], the first after half the interval), what to
 * send (SR if we sent RTP since the last report, else RR; one report block
 * about the peer; SDES CNAME; §6.1 compound), and what we learn from the
 * peer's reports (LSR/DLSR → round-trip time, §6.4.1; BYE). Pure.
 */
import {
  ntpFromUnixMs, ntpMiddle32, parseRtcp, writeBye, writeReceiverReport, writeSdesCname, writeSenderReport, type ReportBlock,
} from '../../media/rtcp.js';
import type { RtpReceiveStats } from '../../media/rtp-receive-stats.js';
import type { SenderStats } from './rtp-sender.js';

export interface RtcpReporterOptions {
  ssrc: number;
  cname: string;
  intervalMs?: number;
  random?: () => number;
}

export interface PeerReport {
  bye: boolean;
  /** Round-trip time from a report block about us (§6.4.1), if it carried LSR. */
  rttMs?: number;
  /** What the peer says about our stream. */
  block?: ReportBlock;
}

export class RtcpReporter {
  private nextMs: number | undefined;
  private lastSrMiddle = 0;
  private lastSrAtMs = 0;
  private packetsAtLastReport = 0;
  readonly buffer = new Uint8Array(256);
  sent = 0;
  received = 0;

  constructor(private readonly opts: RtcpReporterOptions) {}

  /** True when a report is due at `nowMs` (schedules the first one on first call). */
  due(nowMs: number): boolean {
    if (this.nextMs === undefined) {
      this.nextMs = nowMs + this.interval() / 2;
      return false;
    }
    return nowMs >= this.nextMs;
  }

  /** Build the compound packet into `buffer`; returns its length. */
  build(nowMs: number, unixMs: number, sender: SenderStats, receiver: RtpReceiveStats | undefined, bye = false): number {
    this.nextMs = nowMs + this.interval();
    const blocks = receiver && receiver.received > 0 ? [this.block(receiver, nowMs)] : [];
    const buf = this.buffer;
    let n: number;
    if (sender.packets > this.packetsAtLastReport) {
      const ntp = ntpFromUnixMs(unixMs);
      const rtpTs = (sender.lastTimestamp + Math.round((nowMs - sender.lastSentMs) * 8)) >>> 0;
      n = writeSenderReport(buf, 0, this.opts.ssrc, {
        ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: rtpTs, packetCount: sender.packets >>> 0, octetCount: sender.octets >>> 0,
      }, blocks);
    } else n = writeReceiverReport(buf, 0, this.opts.ssrc, blocks);
    this.packetsAtLastReport = sender.packets;
    n = writeSdesCname(buf, n, this.opts.ssrc, this.opts.cname);
    if (bye) n = writeBye(buf, n, this.opts.ssrc);
    this.sent++;
    return n;
  }

  /** Read a compound packet from the peer. Undefined when it is not valid RTCP. */
  receive(buf: Uint8Array, length: number, nowMs: number, unixMs: number): PeerReport | undefined {
    const r = parseRtcp(buf, length);
    if (typeof r === 'string') return undefined;
    this.received++;
    const sr = r.senderReports[0];
    if (sr) {
      this.lastSrMiddle = ntpMiddle32(sr.info.ntpSeconds, sr.info.ntpFraction);
      this.lastSrAtMs = nowMs;
    }
    const about = [...r.senderReports, ...r.receiverReports].flatMap((x) => x.blocks).find((b) => b.ssrc === this.opts.ssrc);
    const out: PeerReport = { bye: r.byes.length > 0 };
    if (about) {
      out.block = about;
      if (about.lastSr !== 0) out.rttMs = rttMs(about, unixMs);
    }
    return out;
  }

  private block(receiver: RtpReceiveStats, nowMs: number): ReportBlock {
    const data = receiver.reportBlock();
    const haveSr = this.lastSrAtMs > 0 && this.lastSrMiddle !== 0;
    return {
      ...data,
      lastSr: haveSr ? this.lastSrMiddle : 0,
      delaySinceLastSr: haveSr ? Math.round(((nowMs - this.lastSrAtMs) / 1000) * 65536) >>> 0 : 0,
    };
  }

  private interval(): number {
    const base = this.opts.intervalMs ?? 5000;
    return base * (0.5 + (this.opts.random ?? Math.random)());
  }
}

/** §6.4.1: RTT = A − LSR − DLSR, all in 1/65536 s (middle 32 bits of NTP). */
function rttMs(b: ReportBlock, unixMs: number): number {
  const now = ntpFromUnixMs(unixMs);
  const a = ntpMiddle32(now.seconds, now.fraction);
  const rtt = (a - b.lastSr - b.delaySinceLastSr) >>> 0;
  return (rtt / 65536) * 1000;
}
