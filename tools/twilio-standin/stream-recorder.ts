/**
 * Everything one Media Stream saw, timestamped in ms from the stream origin (socket open):
 * frames the caller sent, messages the bridge sent, marks echoed, protocol problems.
 * A benchmark pairs `sentFrames[k].sentMs` with `heardFrameArrivals()[k]` for round-trip latency.
 */
import { FRAME_BYTES } from './caller-audio.js';
import type { ProblemKind } from './stream-wire.js';

export interface SentFrame {
  index: number;
  /** When the drift-corrected clock scheduled it. */
  dueMs: number;
  /** When it actually went into the socket. */
  sentMs: number;
  /** True for line silence after (or between) the caller's speech. */
  silence: boolean;
}

export type ReceivedRecord =
  | { atMs: number; event: 'media'; bytes: number; playStartMs: number }
  | { atMs: number; event: 'mark'; name: string }
  | { atMs: number; event: 'clear'; droppedMs: number };

export interface MarkEcho {
  atMs: number;
  name: string;
  /** Echoed because of a clear, not because its audio finished playing (§2.3). */
  flushed: boolean;
}

export interface ProblemRecord {
  atMs: number;
  kind: ProblemKind;
  detail: string;
}

type Waiter = { match: (r: ReceivedRecord) => boolean; resolve: (r: ReceivedRecord) => void };

export class StreamRecorder {
  readonly sentFrames: SentFrame[] = [];
  readonly received: ReceivedRecord[] = [];
  readonly markEchoes: MarkEcho[] = [];
  readonly problems: ProblemRecord[] = [];
  readonly dtmfSent: Array<{ atMs: number; digit: string }> = [];
  private waiters: Waiter[] = [];

  receive(record: ReceivedRecord): void {
    this.received.push(record);
    const hit = this.waiters.filter((w) => w.match(record));
    this.waiters = this.waiters.filter((w) => !hit.includes(w));
    for (const w of hit) w.resolve(record);
  }

  /** Resolves with the first record (already received or future) matching `match`. */
  waitFor(match: (r: ReceivedRecord) => boolean, timeoutMs = 10_000): Promise<ReceivedRecord> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message from the bridge within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { match, resolve: (r) => { clearTimeout(timer); resolve(r); } };
      this.waiters.push(waiter);
    });
  }

  /** Arrival time of the k-th 160-byte frame of bridge audio (a message may carry several). */
  heardFrameArrivals(): number[] {
    const out: number[] = [];
    let bytes = 0;
    for (const r of this.received) {
      if (r.event !== 'media') continue;
      const before = Math.floor(bytes / FRAME_BYTES);
      bytes += r.bytes;
      for (let k = before; k < Math.floor(bytes / FRAME_BYTES); k++) out.push(r.atMs);
    }
    return out;
  }

  counts(): { mediaMessages: number; mediaBytes: number; marks: number; clears: number; problems: number } {
    let mediaMessages = 0, mediaBytes = 0, marks = 0, clears = 0;
    for (const r of this.received) {
      if (r.event === 'media') { mediaMessages++; mediaBytes += r.bytes; }
      else if (r.event === 'mark') marks++;
      else clears++;
    }
    return { mediaMessages, mediaBytes, marks, clears, problems: this.problems.length };
  }
}
