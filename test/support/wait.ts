/**
 * Waiting in tests on what happens, not on the clock: a busy machine may run a
 * step late by hundreds of ms, so a fixed sleep is either too long on a quiet
 * machine or too short on a busy one. Timeouts here are failure deadlines
 * (generous), never the expected duration.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often a predicate or a queue is looked at: a poll period, not an expected duration. */
const POLL_MS = 20;

export interface WaitOptions {
  /** Give up after this long (a failure deadline, not an expected time). */
  timeoutMs?: number;
  /** Polling period for predicates. */
  everyMs?: number;
  /** Says what was awaited in the timeout error. */
  what?: string;
}

/**
 * Resolves with the first truthy value `probe` returns (polled; a throwing
 * probe counts as not yet). Use for state that emits no event, e.g. a row in a
 * database or a counter in another module.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, everyMs = POLL_MS, what = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`${what} not met within ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Resolves once `remainingMs()` reaches 0 (a queue that plays out in real
 * time), failing only when it has not gone down for `stuckMs`: a loaded
 * machine that stalls the player lengthens the queue, and no fixed deadline
 * fits every stall.
 */
export async function drained(remainingMs: () => number, opts: { stuckMs?: number; what?: string } = {}): Promise<void> {
  const { stuckMs = 5_000, what = 'queue drained' } = opts;
  let best = Infinity;
  let progressAt = Date.now();
  for (;;) {
    const left = remainingMs();
    if (left <= 0) return;
    if (left < best) [best, progressAt] = [left, Date.now()];
    if (Date.now() - progressAt > stuckMs) throw new Error(`${what}: stuck at ${left} ms for ${stuckMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Resolves with the first `event` from `emitter` whose arguments pass `filter`. */
export function waitForEvent<T = unknown>(
  emitter: EventEmitter,
  event: string,
  opts: WaitOptions & { filter?: (value: T) => boolean } = {},
): Promise<T> {
  const { timeoutMs = 15_000, filter = () => true } = opts;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no ${opts.what ?? `'${event}' event`} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (value: T): void => {
      if (!filter(value)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(value);
    };
    emitter.on(event, on);
  });
}

/**
 * Measures how late this process's event loop runs while a test step runs:
 * `stop()` returns the largest and the median lateness seen (ms), and
 * `stalledMs`, the sum of every stall longer than two sampling periods. Timing
 * assertions add them to their tolerance, so a machine busy with other work
 * widens a bound by as much as it delayed us, and no more: `maxMs` for one
 * timer's lateness, `stalledMs` for a sequence of steps (each may be held up),
 * `stalls` (performance.now() intervals) for steps timed one by one.
 */
export interface LoopStall {
  fromMs: number;
  toMs: number;
}

export function eventLoopDelay(resolutionMs = 5): { stop(): { maxMs: number; p50Ms: number; stalledMs: number; stalls: LoopStall[] } } {
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  let stalledMs = 0;
  const stalls: LoopStall[] = [];
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    const late = now - last - resolutionMs;
    if (late > 2 * resolutionMs) {
      stalledMs += late;
      stalls.push({ fromMs: last + resolutionMs, toMs: now });
    }
    last = now;
  }, resolutionMs);
  sampler.unref(); // never keeps a process alive, nor counts as a leaked handle
  return {
    stop() {
      h.disable();
      clearInterval(sampler);
      const end = performance.now();
      const tail = end - last - resolutionMs; // a stall still running at stop()
      if (tail > 2 * resolutionMs) {
        stalledMs += tail;
        stalls.push({ fromMs: last + resolutionMs, toMs: end });
      }
      // The histogram counts the sampling period itself; what is left is lateness.
      const late = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolutionMs) : 0);
      return { maxMs: late(h.max), p50Ms: late(h.percentile(50)), stalledMs, stalls };
    },
  };
}

/** How long the loop was stalled between `fromMs` and `toMs` (overlap with the stalls measured). */
export function stalledWithin(stalls: readonly LoopStall[], fromMs: number, toMs: number): number {
  let ms = 0;
  for (const s of stalls) ms += Math.max(0, Math.min(toMs, s.toMs) - Math.max(fromMs, s.fromMs));
  return ms;
}

/**
 * Calls `send(k)` for k = 0 … count-1 at `start + k * periodMs` (performance.now()): a peer's
 * real-time sending, drift-corrected like a phone line: after a stall the overdue sends go at
 * once instead of the whole schedule sliding later. Resolves after the last send.
 */
export function paced(count: number, periodMs: number, send: (k: number) => void, start = performance.now()): Promise<void> {
  return scheduled(Array.from({ length: count }, (_, k) => k * periodMs), send, start);
}

/** Calls `send(i)` at `start + offsetsMs[i]` (ascending offsets), drift-corrected like `paced`. */
export async function scheduled(offsetsMs: number[], send: (i: number) => void, start = performance.now()): Promise<void> {
  for (let i = 0; i < offsetsMs.length; i++) {
    const due = start + offsetsMs[i]! - performance.now();
    if (due > 1) await new Promise((r) => setTimeout(r, due));
    send(i);
  }
}

/**
 * Resolves once every datagram sent to `socket` on loopback before this call has been received:
 * loopback queues datagrams in the order they were sent, and a marker sent now comes after them.
 * The marker is typed as RTCP (second byte 200), so RTP filters (payload type < 72) skip it.
 */
export async function udpDrained(socket: Socket, opts: WaitOptions = {}): Promise<void> {
  const marker = Buffer.concat([Buffer.from([0x80, 200]), randomBytes(8)]);
  const seen = waitForEvent<Buffer>(socket, 'message', { ...opts, filter: (m) => m.equals(marker), what: opts.what ?? 'UDP drain marker' });
  socket.send(marker, socket.address().port, '127.0.0.1');
  await seen;
}

/** Resolves after `n` ticks of a periodic clock that takes tick listeners (e.g. a MediaClock). */
export function clockTicks(clock: { add(fn: () => void): void; remove(fn: () => void): void }, n: number): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const onTick = (): void => {
      if (--left > 0) return;
      clock.remove(onTick);
      resolve();
    };
    clock.add(onTick);
  });
}
