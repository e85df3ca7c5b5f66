/**
 * Per-source reception statistics for RTCP report blocks (RFC 3550 §6.4.1),
 * following Appendix A.1 (sequence validation and extended highest
 * sequence), A.3 (expected/lost/fraction) and A.8 (interarrival jitter).
 * Pure: arrival times are passed in by the caller, in RTP clock units.
 */
const MAX_DROPOUT = 3000; // A.1
const MAX_MISORDER = 100; // A.1
const RTP_SEQ_MOD = 0x10000;

/** The numbers a report block carries (§6.4.1). */
export interface ReportBlockData {
  ssrc: number;
  /** 8-bit fixed point: lost/expected over the last interval × 256. */
  fractionLost: number;
  /** 24-bit signed cumulative loss (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
}

export class RtpReceiveStats {
  ssrc = 0;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private started = false;
  /** Packets received (A.3 counts duplicates and late packets too). */
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private jitterQ4 = 0; // jitter × 16 (A.8's integer form)
  private haveTransit = false;

  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.started ? this.extendedHighestSeq - this.baseSeq + 1 : 0;
  }

  get cumulativeLost(): number {
    return this.expected - this.received;
  }

  /** Interarrival jitter estimate J (A.8), in timestamp units. */
  get jitter(): number {
    return this.jitterQ4 >> 4;
  }

  /**
   * Account one packet. `arrival` is the arrival time in the same units as
   * `timestamp` (8000 Hz for G.711). Returns false when A.1 rejects the
   * sequence number (a big jump not yet confirmed by a second packet).
   * `timed` false leaves the jitter estimate alone: RFC 4733 packets repeat
   * the event's start timestamp, so their transit time is meaningless.
   */
  update(ssrc: number, seq: number, timestamp: number, arrival: number, timed = true): boolean {
    if (!this.started || ssrc !== this.ssrc) this.init(ssrc, seq);
    else if (!this.updateSeq(seq)) return false;
    this.received++;
    if (timed) this.updateJitter(timestamp, arrival);
    return true;
  }

  /** Data for a report block; moves the "prior" marks for the next interval (A.3). */
  reportBlock(): ReportBlockData {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    const cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost));
    return { ssrc: this.ssrc, fractionLost, cumulativeLost, extendedHighestSeq: this.extendedHighestSeq >>> 0, jitter: this.jitter };
  }

  private init(ssrc: number, seq: number): void {
    this.ssrc = ssrc;
    this.started = true;
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.haveTransit = false;
    this.jitterQ4 = 0;
  }

  /** A.1 update_seq without the probation phase (the session already latched the source). */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: accept only if the next packet follows it (peer restarted).
      if (seq === this.badSeq) {
        this.init(this.ssrc, seq);
        return true;
      }
      this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return false;
    }
    // else: duplicate or reordered within MAX_MISORDER, counted as received.
    return true;
  }

  /** A.8: D = (Rj−Ri) − (Sj−Si); J += (|D| − J)/16, kept ×16 as integers. */
  private updateJitter(timestamp: number, arrival: number): void {
    const transit = (Math.round(arrival) - timestamp) | 0;
    if (this.haveTransit) {
      const d = Math.abs((transit - this.transit) | 0);
      this.jitterQ4 += d - ((this.jitterQ4 + 8) >> 4);
    }
    this.transit = transit;
    this.haveTransit = true;
  }
}
