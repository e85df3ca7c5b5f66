/** A fixed-bin latency histogram: cheap to fill, mergeable across processes, exact to one bin. */
export interface Histogram {
  binMs: number;
  bins: number[];
  /** Samples beyond the last bin. */
  overflow: number;
  count: number;
  sum: number;
  max: number;
  min: number;
}

export function newHistogram(binMs = 0.05, maxMs = 2000): Histogram {
  return { binMs, bins: new Array<number>(Math.ceil(maxMs / binMs)).fill(0), overflow: 0, count: 0, sum: 0, max: -Infinity, min: Infinity };
}

export function record(h: Histogram, ms: number): void {
  const i = Math.floor(Math.max(0, ms) / h.binMs);
  if (i < h.bins.length) h.bins[i]! += 1;
  else h.overflow++;
  h.count++;
  h.sum += ms;
  if (ms > h.max) h.max = ms;
  if (ms < h.min) h.min = ms;
}

export function merge(into: Histogram, from: Histogram): void {
  for (let i = 0; i < from.bins.length; i++) into.bins[i]! += from.bins[i]!;
  into.overflow += from.overflow;
  into.count += from.count;
  into.sum += from.sum;
  into.max = Math.max(into.max, from.max);
  into.min = Math.min(into.min, from.min);
}

/** The q-quantile (0..1), as the upper edge of its bin; `max` if it falls in the overflow. */
export function quantile(h: Histogram, q: number): number {
  if (h.count === 0) return NaN;
  const rank = Math.ceil(q * h.count);
  let seen = 0;
  for (let i = 0; i < h.bins.length; i++) {
    seen += h.bins[i]!;
    if (seen >= rank) return Math.min((i + 1) * h.binMs, h.max);
  }
  return h.max;
}

/** How many samples were above `ms`. */
export function countAbove(h: Histogram, ms: number): number {
  const first = Math.floor(ms / h.binMs) + 1;
  let n = h.overflow;
  for (let i = first; i < h.bins.length; i++) n += h.bins[i]!;
  return n;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}
