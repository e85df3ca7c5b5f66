/**
 * Sequence-number bookkeeping of the jitter buffer (RFC 3550 A.1/A.3): which
 * recent sequence numbers were seen (duplicates), and the extended highest
 * and base sequence numbers for the loss count (expected − received).
 */
import { seqDelta } from './rtp-packet.js';

const SEQ_WINDOW = 512;

export class SeqTracker {
  private readonly seen = new Int32Array(SEQ_WINDOW).fill(-1);
  private extBase = 0;
  private extMax = 0;
  /** Distinct sequence numbers noted since the last reset. */
  unique = 0;

  has(seq: number): boolean {
    return this.seen[seq & (SEQ_WINDOW - 1)] === seq;
  }

  /** First packet of a stream (or after reset): the base of the extended range. */
  start(seq: number): void {
    if (this.unique === 0) this.extBase = this.extMax = seq;
  }

  note(seq: number): void {
    this.seen[seq & (SEQ_WINDOW - 1)] = seq;
    this.unique++;
    const d = seqDelta(seq, this.extMax & 0xffff);
    if (d > 0) this.extMax += d;
    else if (this.extMax + d < this.extBase) this.extBase = this.extMax + d;
  }

  /** Sequence numbers skipped and never received, floored at 0. */
  get lost(): number {
    return this.unique === 0 ? 0 : Math.max(0, this.extMax - this.extBase + 1 - this.unique);
  }

  reset(): void {
    this.seen.fill(-1);
    this.unique = 0;
  }
}
