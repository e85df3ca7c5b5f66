/**
 * Comparing a recording with what the far end actually played: split the
 * stereo WAV, find each run the far end played back to back at its own lag
 * (judged whole and in short windows), then the whole call with every run
 * moved back by its lag.
 */
import { expect } from 'vitest';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';
import { correlationAtLag, rms } from '../support/signal.js';

export function channels(wav: Uint8Array, rate: number): { left: Int16Array; right: Int16Array } {
  const parsed = parseWav(wav);
  if (parsed.sampleRate !== rate || parsed.channels !== 2 || parsed.encoding !== 'pcm16') {
    throw new Error(`expected ${rate} Hz stereo pcm16, got ${parsed.sampleRate} Hz ${parsed.channels} ch ${parsed.encoding}`);
  }
  const all = pcm16FromBytes(parsed.data);
  const left = new Int16Array(all.length / 2);
  const right = new Int16Array(all.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = all[2 * i]!;
    right[i] = all[2 * i + 1]!;
  }
  return { left, right };
}

/** A span of what the far end played back to back, and where the recording has it. */
export interface RunFit {
  /** [from, to) on the reference's timeline (samples). */
  from: number;
  to: number;
  /** Where the recording has it, relative to the reference (samples; positive = later). */
  lag: number;
  /** The whole span at that lag. */
  corr: number;
  /** Each audible window of the span at that lag. */
  windows: number[];
}

/**
 * Spans the simulated caller played back to back (Twilio's model: each
 * media message starts when it arrives or when the one before ends), cut at
 * `cutMs` when it cleared. From its own records, in samples at `rate`.
 */
export function playoutRuns(media: Array<{ playStartMs: number; bytes: number }>, rate: number, cutMs = Infinity, bytesPerMs = 8): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const m of media) {
    const from = Math.min(m.playStartMs, cutMs);
    const to = Math.min(m.playStartMs + m.bytes / bytesPerMs, cutMs);
    if (to <= from) continue;
    const last = runs[runs.length - 1];
    if (last && from - last[1] < 0.2) last[1] = to;
    else runs.push([from, to]);
  }
  return runs.map(([a, b]) => [Math.round((a * rate) / 1000), Math.round((b * rate) / 1000)]);
}

/**
 * Each run of `ref` found in `rec` at its best lag within ±maxLag, judged whole and in windows at that lag.
 * A run with audible windows that lies outside the recording at every lag in range fails here, saying
 * by how much (a recording that stops before the far end's last audio is missing that audio).
 */
export function runFits(ref: Int16Array, rec: Int16Array, runs: Array<[number, number]>, maxLag: number, windowSamples: number, minRms = 300, rate = 8000): RunFit[] {
  const ms = (s: number): string => ((s * 1000) / rate).toFixed(2);
  return runs.map(([from, to]) => {
    if (from < 0 || to > ref.length) expect.fail(`run [${ms(from)}, ${ms(to)}) ms lies outside the reference (${ms(ref.length)} ms)`);
    const audible: number[] = [];
    for (let at = from; at + windowSamples <= to; at += windowSamples) if (rms(ref, at, at + windowSamples) >= minRms) audible.push(at);
    const piece = ref.subarray(from, to);
    let best = { corr: -1, lag: 0 };
    for (let lag = Math.max(-maxLag, -from); lag <= Math.min(maxLag, rec.length - to); lag++) {
      const corr = correlationAtLag(piece, rec.subarray(from + lag, to + lag), 0);
      if (corr > best.corr) best = { corr, lag };
    }
    if (best.corr === -1 && audible.length > 0) {
      // No lag in range puts the run inside the recording: the nearest one still leaves it outside.
      const past = to - maxLag - rec.length;
      const before = -(from + maxLag);
      expect.fail(past > 0
        ? `run [${ms(from)}, ${ms(to)}) ms of what the far end played ends ${ms(past)} ms past the recording's end (${ms(rec.length)} ms) even at lag −${ms(maxLag)} ms`
        : `run [${ms(from)}, ${ms(to)}) ms of what the far end played starts ${ms(before)} ms before the recording's start even at lag +${ms(maxLag)} ms`);
    }
    const windows = best.corr === -1 ? [] : audible.map((at) => correlationAtLag(ref.subarray(at, at + windowSamples), rec.subarray(at + best.lag, at + best.lag + windowSamples), 0));
    return { from, to, ...best, windows };
  });
}

/**
 * The recording with each run moved back by its lag (and nothing else
 * changed): compared with the reference over the whole call, audio the
 * recording has where the caller heard nothing counts against it.
 * Every fit must lie inside the recording at its lag (runFits sees to it); the result is long
 * enough to hold every run at its place on the reference's timeline.
 */
export function realign(rec: Int16Array, fits: RunFit[]): Int16Array {
  for (const f of fits) {
    if (f.from + f.lag < 0 || f.to + f.lag > rec.length) throw new RangeError(`run [${f.from}, ${f.to}) at lag ${f.lag} lies outside the recording (${rec.length} samples)`);
  }
  // A run found earlier in the recording (negative lag) may end, on the reference's timeline, past its end.
  const out = new Int16Array(Math.max(rec.length, ...fits.map((f) => f.to)));
  out.set(rec);
  for (const f of fits) out.fill(0, f.from + f.lag, f.to + f.lag);
  for (const f of fits) out.set(rec.subarray(f.from + f.lag, f.to + f.lag), f.from);
  return out;
}

/** The whole call at one lag (the best within ±maxLag): silence where one has audio counts against it. */
export function wholeFit(ref: Int16Array, rec: Int16Array, maxLag: number): { corr: number; lag: number } {
  const n = Math.min(ref.length, rec.length);
  let best = { corr: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const corr = correlationAtLag(ref.subarray(0, n), rec.subarray(0, n), lag);
    if (corr > best.corr) best = { corr, lag };
  }
  return best;
}

export function maxAbs(x: Int16Array, from = 0, to = x.length): number {
  let m = 0;
  for (let i = Math.max(0, from); i < Math.min(to, x.length); i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** Summary for the log: runs, windows, worst correlations, the lags. */
export function describeRuns(fits: RunFit[], rate: number): string {
  const ms = (s: number): string => ((s * 1000) / rate).toFixed(2);
  const windows = fits.flatMap((f) => f.windows);
  return `${fits.length} runs (${ms(fits.reduce((t, f) => t + f.to - f.from, 0))} ms), worst run corr ${Math.min(...fits.map((f) => f.corr)).toFixed(4)}, `
    + `${windows.length} windows worst ${Math.min(...windows).toFixed(4)}, lags ms [${fits.map((f) => ms(f.lag)).join(' ')}]`;
}
