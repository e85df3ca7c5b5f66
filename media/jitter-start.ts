/**
 * When the adaptive jitter buffer may play the first frame of a (re)start:
 * not at the first tick after the start packet, but at the first tick at
 * least `cushionMs` after the latest *nominal* arrival of that frame seen so
 * far. A packet's nominal arrival is when the start frame would have arrived
 * had it been delayed like this packet (its arrival minus its RTP timestamp
 * offset from the start, RFC 3550 §5.1: the timestamp is the sampling
 * instant). So every packet that shows up before playout begins, in or out of
 * order, pushes the start later if it came later than the first one did.
 *
 * Why a time, not a count of ticks: the tick phase relative to arrivals is
 * arbitrary, so "play at the next tick" gives a cushion anywhere in 0…20 ms,
 * and the packets that land just before a tick get almost none. Measured on a
 * virtual clock (test/media/jitter-buffer-adaptive.test.ts), a cushion that
 * is at least START_LEAD_MS plus the target's frames removes most of the
 * start-up gaps on a jittery link while a clean link still plays each frame
 * within 8…28 ms.
 *
 * Pure bookkeeping in milliseconds; 8 RTP timestamp units per ms (8 kHz).
 */
import { tsDelta } from './rtp-packet.js';

/** Minimum wait between the start frame's (nominal) arrival and its playout, beyond the target's frames. */
export const START_LEAD_MS = 8;
const UNITS_PER_MS = 8;

export class PlayoutStart {
  /** A start is pending: no frame of it has been played yet. */
  pending = false;
  private startTs = 0;
  private latestMs = -Infinity;
  private cushionMs = 0;

  /** A (re)start at `timestamp`; its packet arrived at `arrivalMs` (undefined: no clock, tick counting applies). */
  begin(timestamp: number, arrivalMs: number | undefined, cushionMs: number): void {
    this.pending = true;
    this.startTs = timestamp;
    this.latestMs = arrivalMs ?? -Infinity;
    this.cushionMs = cushionMs;
  }

  /** Another packet of the pending start arrived. */
  note(timestamp: number, arrivalMs: number | undefined): void {
    if (!this.pending || arrivalMs === undefined) return;
    const nominal = arrivalMs - tsDelta(timestamp, this.startTs) / UNITS_PER_MS;
    if (nominal > this.latestMs) this.latestMs = nominal;
  }

  /** Whether arrival times are known (else the owner counts priming ticks). */
  get timed(): boolean {
    return this.latestMs !== -Infinity;
  }

  /** True while the frame at `playoutTs` must still wait at `nowMs`. */
  waits(nowMs: number, playoutTs: number): boolean {
    return this.latestMs + tsDelta(playoutTs, this.startTs) / UNITS_PER_MS + this.cushionMs > nowMs;
  }

  /** The first frame was played. */
  played(): void {
    this.pending = false;
  }
}
