/**
 * Soak (`npm run bench -- --soak 30m`): one long steady window, sampled every
 * few seconds, to show whether the bridge leaks over time. Per sample: RSS
 * (/proc), JS heap used, event-loop delay p99 and max since the previous
 * sample (prom-client resets its histogram at each scrape), active handles
 * and timers (`process.getActiveResourcesInfo()` via prom-client), live
 * calls, and the machine's load so a slow stretch can be told apart from
 * other people's work. Summary: least-squares slopes after the warm-up,
 * event-loop p99 in the first and last third, handle/timer ranges.
 */
import { readFileSync } from 'node:fs';
import { bridgeStatus } from './bridge-status.js';
import type { InspectorGc } from './inspector-gc.js';
import { machineCpuMs, processCpuMs, processRssBytes } from './proc.js';

export interface SoakSample {
  /** Seconds since the window started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  /** RSS and heap used right after a full collection (NaN without the inspector): what a leak makes grow. */
  gcRssMb: number;
  gcHeapUsedMb: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  handles: number;
  timers: number;
  sockets: number;
  activeCalls: number;
  /** Bridge CPU since the previous sample, % of one core. */
  bridgeCpuPct: number;
  /** Everything else on the machine (agent, generators, other people), % of one core, since the previous sample. */
  otherCpuPct: number;
  loadavg1: number;
}

export interface SoakReport {
  samples: SoakSample[];
  warmupSeconds: number;
  /** Least-squares slope after warm-up, MB per hour. */
  rssSlopeMbPerHour: number;
  heapSlopeMbPerHour: number;
  /** The same after a full collection before each sample (NaN without it). */
  gcRssSlopeMbPerHour: number;
  gcHeapSlopeMbPerHour: number;
  /** Median of the per-sample event-loop p99 in the first and last third after warm-up, ms. */
  eventLoopP99FirstThirdMs: number;
  eventLoopP99LastThirdMs: number;
  eventLoopMaxMs: number;
  handles: { min: number; max: number; first: number; last: number };
  timers: { min: number; max: number; first: number; last: number };
  activeCalls: { min: number; max: number };
  otherCpuPctMedian: number;
}

let previous: { at: number; bridge: number; busy: number; total: number } | undefined;

export async function soakSample(pid: number, url: string, t: number, gc?: InspectorGc): Promise<SoakSample> {
  // Before the full collection: the metrics scrape also resets the event-loop histogram,
  // so the collection's own pause lands in the next sample's max, not this one's.
  const { activeCalls, metrics } = await bridgeStatus(url);
  const rssBeforeGc = processRssBytes(pid) / 2 ** 20;
  let gcRssMb = NaN;
  let gcHeapUsedMb = NaN;
  if (gc) {
    await gc.collect();
    gcRssMb = processRssBytes(pid) / 2 ** 20;
    gcHeapUsedMb = (await bridgeStatus(url)).metrics['nodejs_heap_size_used_bytes']! / 2 ** 20;
  }
  const now = performance.now();
  const bridge = processCpuMs(pid);
  const machine = machineCpuMs();
  const prev = previous ?? { at: now, bridge, busy: machine.busyMs, total: machine.totalMs };
  previous = { at: now, bridge, busy: machine.busyMs, total: machine.totalMs };
  const wallMs = Math.max(1, now - prev.at);
  const bridgeMs = bridge - prev.bridge;
  const m = (name: string): number => metrics[name] ?? NaN;
  return {
    t,
    rssMb: rssBeforeGc,
    heapUsedMb: m('nodejs_heap_size_used_bytes') / 2 ** 20,
    gcRssMb,
    gcHeapUsedMb,
    eventLoopP99Ms: m('nodejs_eventloop_lag_p99_seconds') * 1000,
    eventLoopMaxMs: m('nodejs_eventloop_lag_max_seconds') * 1000,
    handles: m('nodejs_active_handles_total'),
    timers: m('nodejs_active_resources{type="Timeout"}'),
    sockets: m('nodejs_active_handles{type="Socket"}'),
    activeCalls,
    bridgeCpuPct: (100 * bridgeMs) / wallMs,
    otherCpuPct: (100 * (machine.busyMs - prev.busy - bridgeMs)) / wallMs,
    loadavg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  };
}

function slopePerHour(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0, den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 3600;
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : NaN;
};

const range = (xs: number[]): { min: number; max: number; first: number; last: number } => ({
  min: Math.min(...xs), max: Math.max(...xs), first: xs[0] ?? NaN, last: xs[xs.length - 1] ?? NaN,
});

export function summarizeSoak(samples: SoakSample[], warmupSeconds: number): SoakReport {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  const steady = after.length >= 2 ? after : samples;
  const third = Math.max(1, Math.floor(steady.length / 3));
  return {
    samples,
    warmupSeconds,
    rssSlopeMbPerHour: slopePerHour(steady.map((s) => [s.t, s.rssMb])),
    heapSlopeMbPerHour: slopePerHour(steady.map((s) => [s.t, s.heapUsedMb])),
    gcRssSlopeMbPerHour: slopePerHour(steady.map((s) => [s.t, s.gcRssMb])),
    gcHeapSlopeMbPerHour: slopePerHour(steady.map((s) => [s.t, s.gcHeapUsedMb])),
    eventLoopP99FirstThirdMs: median(steady.slice(0, third).map((s) => s.eventLoopP99Ms)),
    eventLoopP99LastThirdMs: median(steady.slice(-third).map((s) => s.eventLoopP99Ms)),
    eventLoopMaxMs: Math.max(...steady.map((s) => s.eventLoopMaxMs)),
    handles: range(steady.map((s) => s.handles)),
    timers: range(steady.map((s) => s.timers)),
    activeCalls: { min: Math.min(...steady.map((s) => s.activeCalls)), max: Math.max(...steady.map((s) => s.activeCalls)) },
    otherCpuPctMedian: median(steady.map((s) => s.otherCpuPct)),
  };
}

export function formatSoak(r: SoakReport): string {
  const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const rows = r.samples.filter((_, i) => i % Math.max(1, Math.floor(r.samples.length / 12)) === 0);
  return [
    `soak (after ${r.warmupSeconds} s warm-up, ${r.samples.length} samples):`,
    `  RSS slope ${f(r.rssSlopeMbPerHour)} MB/h, heap-used slope ${f(r.heapSlopeMbPerHour)} MB/h (plain samples)`,
    `  after a full GC before each sample: RSS slope ${f(r.gcRssSlopeMbPerHour)} MB/h, heap-used slope ${f(r.gcHeapSlopeMbPerHour)} MB/h`,
    `  event-loop delay p99: first third ${f(r.eventLoopP99FirstThirdMs)} ms, last third ${f(r.eventLoopP99LastThirdMs)} ms; max ${f(r.eventLoopMaxMs, 1)} ms`,
    `  handles ${r.handles.first} -> ${r.handles.last} (min ${r.handles.min}, max ${r.handles.max}); timers ${r.timers.first} -> ${r.timers.last} (min ${r.timers.min}, max ${r.timers.max}); live calls ${r.activeCalls.min}-${r.activeCalls.max}`,
    `  rest of the machine (agent, generators, others): median ${f(r.otherCpuPctMedian, 0)}% of one core`,
    '  t(s)   RSS MB  heap MB  (after GC)  EL p99 ms  handles  timers  calls  bridge %  other %  load1',
    ...rows.map((s) => `  ${f(s.t, 0).padStart(5)}  ${f(s.rssMb, 1).padStart(6)}  ${f(s.heapUsedMb, 1).padStart(7)}  ${f(s.gcRssMb, 0).padStart(5)}/${f(s.gcHeapUsedMb, 0).padEnd(4)}  ${f(s.eventLoopP99Ms).padStart(9)}  ${String(s.handles).padStart(7)}  ${String(s.timers).padStart(6)}  ${String(s.activeCalls).padStart(5)}  ${f(s.bridgeCpuPct, 0).padStart(8)}  ${f(s.otherCpuPct, 0).padStart(7)}  ${f(s.loadavg1, 1).padStart(5)}`),
  ].join('\n');
}
