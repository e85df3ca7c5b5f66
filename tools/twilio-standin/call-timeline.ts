/** Call-level records: executed TwiML steps and the caller's heard audio across streams. */
import type { MediaStreamCaller } from './media-stream-caller.js';

export interface TwimlStep {
  /** ms since the call started. */
  atMs: number;
  /** For verbs that last (Connect): when they finished. */
  endMs?: number;
  /** TwiML verb name ('Connect', 'Say', 'Hangup', …), 'Unknown', or 'Update' for a live update. */
  verb: string;
  detail: Record<string, unknown>;
}

/**
 * A rough speaking time for <Say>: ~15 characters per second (about 150 words per minute),
 * so a simulated goodbye takes a plausible amount of call time when verbs run in real time.
 */
export function sayDurationMs(text: string): number {
  return Math.max(300, Math.round((text.length / 15) * 1000));
}

/** Lays each stream's heard audio onto the call timeline, which starts at `callStartMs` (performance.now()). */
export function renderCallHeard(callStartMs: number, streams: MediaStreamCaller[], untilMs: number): Int16Array {
  const out = new Int16Array(Math.max(0, Math.round(untilMs * 8)));
  for (const s of streams) {
    if (s.originMs === undefined) continue;
    const offset = Math.round((s.originMs - callStartMs) * 8);
    const heard = s.heardPcm();
    const n = Math.max(0, Math.min(heard.length, out.length - offset));
    out.set(heard.subarray(0, n), offset);
  }
  return out;
}
