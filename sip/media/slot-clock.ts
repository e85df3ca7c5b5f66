/**
 * Decides, on each tick of the 20 ms media clock, how many 20 ms media slots
 * (RTP packets to send, jitter-buffer frames to play) are due. Pure: the
 * owner passes the tick's time.
 *
 * Why not "slot k at first-tick + 20k, run every slot ≤ now + a few ms": the
 * first tick's own lateness then becomes the phase of every later slot. A
 * first tick 6 ms late puts each later slot on the edge of the lead, so tick
 * jitter of a millisecond alternates between zero and two slots per tick —
 * packets in pairs with 40 ms gaps for the whole call.
 *
 * Here slots keep their monotonic schedule (anchor + 20k, no drift), but a
 * tick runs a slot whenever one is within HALF a slot of due, and a tick that
 * comes a full slot-period after the previous run also runs one even if the
 * schedule says it is up to a slot early (the anchor was set by a late first
 * tick). So each ~20 ms tick runs exactly one slot, whatever the phase; a
 * second slot runs in the same tick only when the schedule is genuinely
 * behind by more than a slot and a half (a stalled event loop), and more
 * than `maxCatchUpSlots` behind is skipped, not burst.
 */
export class SlotClock {
  /** Slots skipped (not run) at the last tick because of a stall. */
  skipped = 0;
  /** Schedule time of the first slot the last tick ran. */
  firstSlotMs = 0;
  private nextMs: number | undefined;
  private lastRunMs = -Infinity;

  constructor(readonly slotMs = 20, private readonly maxCatchUpSlots = 5) {}

  /** Number of slots to run at `nowMs` (slot i at firstSlotMs + i·slotMs). */
  tick(nowMs: number): number {
    const slot = this.slotMs, half = slot / 2;
    this.skipped = 0;
    if (this.nextMs === undefined) this.nextMs = nowMs;
    let late = nowMs - this.nextMs;
    const behind = Math.floor(late / slot);
    if (behind > this.maxCatchUpSlots) {
      this.nextMs += behind * slot;
      this.skipped = behind;
      late -= behind * slot;
    }
    this.firstSlotMs = this.nextMs;
    const due = late >= -half || (late > -slot && nowMs - this.lastRunMs >= slot - half / 2);
    if (!due) return 0;
    let run = 1;
    while (late - run * slot >= half && run <= this.maxCatchUpSlots) run++;
    this.nextMs += run * slot;
    this.lastRunMs = nowMs;
    return run;
  }

  /** Forget the schedule: the next tick starts a new one. */
  reset(): void {
    this.nextMs = undefined;
    this.lastRunMs = -Infinity;
  }
}
