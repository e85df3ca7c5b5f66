/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the CPU went by
 * self time, optionally only for samples inside [fromUs, toUs] on the
 * monotonic clock (V8 and process.hrtime both use CLOCK_MONOTONIC on Linux).
 *   npx tsx bench/bridge/profile-summary.ts file.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  /** Share of non-idle samples, %. */
  pct: number;
  samples: number;
}

export interface ProfileSummary {
  /** Samples counted (non-idle) and whether the time filter applied. */
  samples: number;
  idleSamples: number;
  windowed: boolean;
  spanMs: number;
  byFunction: HotSpot[];
  byFile: HotSpot[];
  /** Inclusive (self + callees) share of a few entry points of interest. */
  inclusive: HotSpot[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) return p.slice(nm + '/node_modules/'.length);
  const dist = p.indexOf('/bench-dist/');
  if (dist >= 0) return p.slice(dist + '/bench-dist/'.length);
  return p;
}

function rank(counts: Map<string, number>, total: number, top: number): HotSpot[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, samples]) => ({ name, samples, pct: (100 * samples) / Math.max(1, total) }));
}

export function summarizeProfile(file: string, fromUs?: number, toUs?: number, top = 25): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const windowed = fromUs !== undefined && toUs !== undefined && fromUs >= prof.startTime && toUs <= prof.endTime;
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const incl = new Map<string, number>();
  let t = prof.startTime;
  let counted = 0;
  let idle = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (windowed && (t < fromUs! || t > toUs!)) continue;
    first = Math.min(first, t);
    last = Math.max(last, t);
    const node = byId.get(prof.samples[i]!)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle++;
      continue;
    }
    counted++;
    const file = shortUrl(url);
    const fn = `${file}:${functionName || '(anonymous)'}${url ? `:${lineNumber + 1}` : ''}`;
    selfFn.set(fn, (selfFn.get(fn) ?? 0) + 1);
    selfFile.set(file, (selfFile.get(file) ?? 0) + 1);
    // Inclusive per function name (counted once per sample even under recursion).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (!cf.url) continue;
      const key = `${shortUrl(cf.url)}:${cf.functionName || '(anonymous)'}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + 1);
    }
  }
  return {
    samples: counted,
    idleSamples: idle,
    windowed,
    spanMs: (last - first) / 1000,
    byFunction: rank(selfFn, counted, top),
    byFile: rank(selfFile, counted, top),
    inclusive: rank(incl, counted, top * 2),
  };
}

export function formatProfile(s: ProfileSummary, top = 20): string {
  const lines = [
    `CPU profile: ${s.samples} busy samples (+${s.idleSamples} idle) over ${(s.spanMs / 1000).toFixed(1)} s${s.windowed ? ' (steady window only)' : ' (whole run)'}`,
    'self time by function (% of busy samples):',
    ...s.byFunction.slice(0, top).map((h) => `  ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`),
    'self time by file/package:',
    ...s.byFile.slice(0, 12).map((h) => `  ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`),
    'inclusive (self + callees), top entries:',
    ...s.inclusive.slice(0, top).map((h) => `  ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`),
  ];
  return lines.join('\n');
}

const invokedAs = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (import.meta.url === invokedAs) {
  const [file, from, to] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts file.cpuprofile [fromUs toUs]');
  console.log(formatProfile(summarizeProfile(file, from ? Number(from) : undefined, to ? Number(to) : undefined)));
}
