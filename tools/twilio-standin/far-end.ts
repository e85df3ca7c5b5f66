/**
 * The far ends Twilio reaches when it places a call (REST `calls.create`) or dials a leg
 * (`<Dial><Number>`): who picks up, after how long, and what they do once connected.
 *
 * Durations given here are real milliseconds. Durations that come from Twilio parameters
 * (REST `Timeout`, `<Dial timeout>`, `<Gather timeout>`, MachineDetection*) are scaled by the
 * stand-in's `timeScale` instead, so a test can keep Twilio's defaults and still run fast.
 */
import type { CallerAudio } from './caller-audio.js';

interface Answering {
  /** How long the line rings before pickup (default 100 ms). At or beyond the ring timeout: no-answer. */
  ringMs?: number;
  /** The far end hangs up this long after being connected (REST call answered / <Dial> bridged). Default: never. */
  hangupAfterMs?: number;
  /** What the far end says on the call's first media stream (REST calls only). */
  audio?: CallerAudio;
  /** How long AMD takes to decide (overrides the defaults of amd.ts). */
  amdMs?: number;
  /** Keys pressed on the call's first media stream (a broadcast menu), each `afterMs` after the stream starts. */
  streamKeys?: { key: string; afterMs: number }[];
}

export type FarEndBehaviour =
  /**
   * A person answers. `keys`: what they press at each `<Gather>` they meet, in order (e.g. '1' to
   * accept a whisper, '2' to decline); '' or a missing entry = presses nothing (Gather times out).
   */
  | (Answering & { kind: 'human'; keys?: string | string[] })
  /** Voicemail: answers, plays a greeting of `greetingMs`, which ends in a beep (default), silence or other. */
  | (Answering & { kind: 'machine'; greetingMs: number; greetingEnd?: 'beep' | 'silence' | 'other' })
  /** A fax machine answers. */
  | (Answering & { kind: 'fax' })
  /** Busy signal after `ringMs` (default 0: no ringing at all). A declined ringing call looks like this too. */
  | { kind: 'busy'; ringMs?: number }
  /** Rings until the caller's timeout (REST `Timeout`, `<Dial timeout>`). */
  | { kind: 'no-answer' }
  /** The carrier fails the call after `afterMs` (default 0), without ringing. */
  | { kind: 'failed'; afterMs?: number };

export type AnsweringFarEnd = Extract<FarEndBehaviour, { kind: 'human' | 'machine' | 'fax' }>;

export type FarEnds = (to: string) => FarEndBehaviour;

export const DEFAULT_RING_MS = 100;

/** A table of far ends by number, with a fallback (default: a person who answers). */
export function farEndsByNumber(table: Record<string, FarEndBehaviour>, fallback: FarEndBehaviour = { kind: 'human' }): FarEnds {
  return (to) => table[to] ?? fallback;
}

export type RingResult = 'answered' | 'busy' | 'no-answer' | 'failed';

export interface RingPlan {
  /** Whether the line reaches the ringing state (a `ringing` status event). */
  rings: boolean;
  /** When the outcome happens, ms after the call is initiated. */
  afterMs: number;
  result: RingResult;
}

/** What happens when `fe` is rung with a ring timeout of `timeoutMs`. */
export function planRing(fe: FarEndBehaviour, timeoutMs: number): RingPlan {
  switch (fe.kind) {
    case 'busy': {
      const ms = fe.ringMs ?? 0;
      return ms >= timeoutMs ? { rings: true, afterMs: timeoutMs, result: 'no-answer' } : { rings: ms > 0, afterMs: ms, result: 'busy' };
    }
    case 'no-answer':
      return { rings: true, afterMs: timeoutMs, result: 'no-answer' };
    case 'failed':
      return { rings: false, afterMs: fe.afterMs ?? 0, result: 'failed' };
    default: {
      const ms = fe.ringMs ?? DEFAULT_RING_MS;
      return ms >= timeoutMs ? { rings: true, afterMs: timeoutMs, result: 'no-answer' } : { rings: true, afterMs: ms, result: 'answered' };
    }
  }
}

export function isAnswering(fe: FarEndBehaviour): fe is AnsweringFarEnd {
  return fe.kind === 'human' || fe.kind === 'machine' || fe.kind === 'fax';
}

/** What the far end presses at its `index`-th `<Gather>` (undefined = nothing). */
export function keysAt(fe: FarEndBehaviour, index: number): string | undefined {
  if (fe.kind !== 'human' || fe.keys === undefined) return undefined;
  const k = typeof fe.keys === 'string' ? (index === 0 ? fe.keys : undefined) : fe.keys[index];
  return k ? k : undefined;
}

/** Sleeps `ms` unless `signal` aborts first; never leaves a timer behind. Resolves false when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms === Infinity) {
    return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(false), { once: true }));
  }
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
