/** How long after a frame's echo later echoes of its run may still tighten its placement (10 frames). */
const SETTLE_MS = 200;
/** A frame whose echo has not come back by then is placed by its send time (the far end never said). */
const MAX_WAIT_MS = 6000;
/** A frame starting this close after the previous one's end abuts it (clock rounding, not a gap). */
const SNAP_SAMPLES = 2;
/** Bound on frames kept (2 min of audio sent far ahead on a leg that paces nothing). */
const MAX_FRAMES = 6000;

interface Frame {
  kind: 'frame';
  samples: Int16Array;
  /** Timeline position when it went on the wire: it cannot have started playing earlier. */
  sentAt: number;
  /** Sent when, by the send times, the far end had nothing left to play: the start of a run. */
  newRun: boolean;
  probe?: number;
  /** When its probe's echo arrived: it had finished playing by then. */
  playedBy?: number;
  /** Its probe was outstanding at this barge-in: the echo tells when the cut happened, not that it played. */
  clearedBy?: Cut;
  /** Placement, recomputed until emission reaches the frame, then frozen. */
  start: number;
  frozen: boolean;
  /** Samples of it heard: fewer when a barge-in cut it, 0 when it never played. */
  heard: number;
  /** Where the next barge-in cut (Infinity: none yet). */
  cutPos: number;
}

interface Cut {
  kind: 'cut';
  /** When the bridge sent the barge-in (the caller cannot have cut earlier). */
  at: number;
  /** Probes outstanding at the cut whose echo has not come back. */
  pending: number;
  /** Where it cut: the latest of `at` and those probes' echoes (Twilio echoes them when it clears). */
  pos: number;
}

type Entry = Frame | Cut;

/**
 * What the caller heard, placed on the recording's timeline (samples since
 * its origin, on the caller's clock). Pure: every call carries the current
 * position.
 *
 * The far end plays frames in order, back to back while it has any (Twilio
 * Media Streams buffers media and plays it in order; an RTP peer plays
 * packets as they come). So the audio falls into runs: a run starts with a
 * frame sent when, by the send times, everything before it had played out,
 * and its frames abut. Where the leg can ask, the far end reports each
 * frame's end: on Twilio a mark after every frame, echoed once the audio
 * before it has played (Media Streams "mark" message). An echo is never
 * early, so a run started no later than min over its frames of (echo − the
 * run's audio up to that frame's end): one prompt echo among many late ones
 * places the whole run. Echoes travel the same way as the caller's audio,
 * whose arrival sets the timeline's origin, so their common delay cancels
 * out; an echo that came in a burst with late caller audio (the way back or
 * this process stalled) bounds nothing useful and is not used. Runs without
 * a usable echo start when they were sent.
 *
 * Barge-in (Twilio `clear`): the far end drops unplayed audio and echoes the
 * outstanding marks at once, so the last of those echoes says when it cut.
 * Legs that only ever report what they sent (RTP) report no clears.
 */
export class HeardTrack {
  private entries: Entry[] = [];
  private readonly probes = new Map<number, Frame>();
  /** End of the last frame already emitted and dropped: the next one cannot start earlier. */
  private doneEnd = -Infinity;
  /** Where the far end's queue runs dry by the send times alone. */
  private sentEnd = -Infinity;

  /** `stale(at)`: whether what arrived at `at` was held up on its way (an echo then bounds nothing useful). */
  constructor(private readonly rate: number, private readonly stale: (at: number) => boolean = () => false) {}

  private ms(samples: number): number {
    return (samples * 1000) / this.rate;
  }

  sent(samples: Int16Array, at: number, probe: number | undefined): void {
    const newRun = at > this.sentEnd + SNAP_SAMPLES;
    this.sentEnd = Math.max(at, this.sentEnd) + samples.length;
    const frame: Frame = { kind: 'frame', samples, sentAt: at, newRun, probe, start: at, frozen: false, heard: samples.length, cutPos: Infinity };
    this.entries.push(frame);
    if (probe !== undefined) this.probes.set(probe, frame);
    if (this.entries.length > MAX_FRAMES) this.drop(1);
  }

  played(probe: number, now: number): void {
    const frame = this.probes.get(probe);
    if (!frame) return;
    this.probes.delete(probe);
    const cut = frame.clearedBy;
    if (!cut) frame.playedBy = now;
    else {
      cut.pos = Math.max(cut.pos, now);
      cut.pending--;
    }
  }

  cleared(now: number): void {
    const cut: Cut = { kind: 'cut', at: now, pending: 0, pos: now };
    for (const e of this.entries) {
      if (e.kind === 'frame' && e.probe !== undefined && e.playedBy === undefined && !e.clearedBy) {
        e.clearedBy = cut;
        cut.pending++;
      }
    }
    this.entries.push(cut);
    this.sentEnd = -Infinity;
  }

  /** Every position moves by `by` (the timeline's origin moved before anything was written). */
  shift(by: number): void {
    for (const e of this.entries) {
      if (e.kind === 'cut') {
        e.at += by;
        e.pos += by;
        continue;
      }
      e.sentAt += by;
      e.start += by;
      if (e.playedBy !== undefined) e.playedBy += by;
    }
    this.sentEnd += by;
    this.doneEnd += by;
  }

  /** The call ended: nothing plays after `now`, and nothing more will be reported. */
  end(now: number): void {
    this.cleared(now);
    for (const e of this.entries) if (e.kind === 'cut') e.pending = 0;
    this.probes.clear();
  }

  /**
   * How far the timeline may be written: up to the first frame or cut whose
   * placement may still change (echo outstanding or too fresh).
   */
  limit(now: number, emitted: number): number {
    this.layout(emitted);
    let limit = Infinity;
    for (const e of this.entries) {
      if (this.isFinal(e, now)) continue;
      limit = Math.min(limit, e.kind === 'cut' ? e.at : Math.min(e.start, e.sentAt));
    }
    return limit;
  }

  /** Writes the heard samples of [from, to) through `write(position, sample)`, then forgets what is done. */
  render(from: number, to: number, write: (pos: number, sample: number) => void): void {
    this.layout(from);
    let done = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      const end = e.kind === 'cut' ? e.pos : Math.min(e.start + e.samples.length, e.cutPos);
      if (e.kind === 'frame' && e.start < to) {
        e.frozen = true;
        for (let p = Math.max(from, e.start); p < Math.min(to, e.start + e.heard); p++) write(p, e.samples[p - e.start]!);
      }
      if (done === i && end <= to) done++;
    }
    this.drop(done);
  }

  private drop(count: number): void {
    for (const e of this.entries.splice(0, count)) {
      if (e.kind === 'cut') this.doneEnd = Math.max(this.doneEnd, e.pos);
      else {
        this.doneEnd = Math.max(this.doneEnd, Math.min(e.start + e.samples.length, e.cutPos));
        if (e.probe !== undefined) this.probes.delete(e.probe);
      }
    }
  }

  private isFinal(e: Entry, now: number): boolean {
    if (e.kind === 'cut') return e.pending <= 0 || this.ms(now - e.at) >= MAX_WAIT_MS;
    if (e.probe === undefined || this.ms(now - e.sentAt) >= MAX_WAIT_MS) return true;
    if (e.clearedBy) return this.isFinal(e.clearedBy, now);
    return e.playedBy !== undefined && this.ms(now - e.playedBy) >= SETTLE_MS;
  }

  /** Places every run not yet frozen: by its echoes where there are any, else its send time; never overlapping. */
  private layout(emitted: number): void {
    let nextCut = Infinity;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.kind === 'cut') nextCut = Math.min(nextCut, e.pos);
      else e.cutPos = nextCut;
    }
    let prevEnd = this.doneEnd;
    for (let i = 0; i < this.entries.length;) {
      const e = this.entries[i]!;
      if (e.kind === 'cut') {
        // What was sent after a barge-in reaches the far end after it, so plays after the cut.
        prevEnd = Math.max(prevEnd, e.pos);
        i++;
        continue;
      }
      const end = this.runEnd(i);
      // The rest of a run whose head was already written goes on right after it.
      const continued = i === 0 && !e.newRun && Number.isFinite(prevEnd);
      let pos = e.frozen ? e.start : continued ? Math.max(prevEnd, emitted) : this.runStart(i, end, prevEnd, emitted);
      for (let k = i; k < end; k++) {
        const f = this.entries[k] as Frame;
        if (!f.frozen) f.start = pos;
        pos = f.start + f.samples.length;
        f.heard = Math.max(0, Math.min(f.samples.length, f.cutPos - f.start));
        prevEnd = Math.max(prevEnd, Math.min(pos, f.cutPos));
      }
      i = end;
    }
  }

  /** Index after the run that starts at `i` (the next run's first frame, a cut, or the end). */
  private runEnd(i: number): number {
    let j = i + 1;
    while (j < this.entries.length) {
      const e = this.entries[j]!;
      if (e.kind === 'cut' || e.newRun) break;
      j++;
    }
    return j;
  }

  private runStart(i: number, end: number, prevEnd: number, emitted: number): number {
    let best = Infinity;
    let audio = 0;
    for (let k = i; k < end; k++) {
      const f = this.entries[k] as Frame;
      audio += f.samples.length;
      if (f.playedBy !== undefined && !this.stale(f.playedBy)) best = Math.min(best, f.playedBy - audio);
    }
    const first = this.entries[i] as Frame;
    const start = Math.max(prevEnd, Number.isFinite(best) ? best : first.sentAt, emitted);
    return start - prevEnd <= SNAP_SAMPLES ? Math.max(prevEnd, emitted) : start;
  }
}
