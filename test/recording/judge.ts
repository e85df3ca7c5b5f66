/**
 * Judging a recording of an RTP call against the simulated phone's own
 * records: the left channel must be what it sent (found at one lag), the
 * right what it received, placed by RTP time, at that same lag.
 */
import { expect } from 'vitest';
import { correlationAtLag } from '../support/signal.js';
import { describeRuns, realign, runFits, wholeFit } from './compare.js';
import type { RtpPhone } from './rtp-phone.js';

/**
 * Where the phone's time 0 lies in the recording: the lag of its sent speech
 * in the left channel (a loud 250 ms of it searched with its first packet
 * −0.1 … +3 s into the recording; `startAt`: that packet on its timeline).
 */
function leftLag(sent: Int16Array, left: Int16Array, perMs: number, startAt: number): { lag: number; corr: number } {
  let at = 0;
  let loud = -1;
  for (let i = 0; i + 250 * perMs < sent.length; i += 20 * perMs) {
    let e = 0;
    for (let k = i; k < i + 250 * perMs; k++) e += sent[k]! * sent[k]!;
    if (e > loud) [loud, at] = [e, i];
  }
  const piece = sent.subarray(at, at + 250 * perMs);
  let best = { lag: 0, corr: -1 };
  for (let lag = -startAt - 100 * perMs; lag <= -startAt + 3000 * perMs; lag++) {
    if (at + lag < 0 || at + lag + piece.length > left.length) continue;
    const corr = correlationAtLag(piece, left.subarray(at + lag, at + lag + piece.length), 0);
    if (corr > best.corr) best = { lag, corr };
  }
  // sent[i] lies at left[i + lag] (lag < 0 too: the phone's timeline began before the recording's).
  return { lag: best.lag, corr: correlationAtLag(sent, left, best.lag) };
}

/** Judges a recording against the phone's records; returns the figures for the log. */
export function judge(p: RtpPhone, callerSpeech: Int16Array, left: Int16Array, right: Int16Array, stallsMs: number, label: string) {
  const perMs = p.codec.perMs;
  const sent = p.sentPcm(callerSpeech);
  const { lag, corr: leftCorr } = leftLag(sent, left, perMs, p.startAt);
  expect(leftCorr, `${label}: left = what the phone sent`).toBeGreaterThanOrEqual(0.99);
  // The right channel on the phone's timeline, by the left channel's lag: one timeline for both.
  const shifted = lag >= 0 ? right.subarray(lag) : new Int16Array(right.length - lag);
  if (lag < 0) shifted.set(right, -lag);
  const heard = p.heardPcm();
  const runs = p.audioRuns();
  // Both sides place RTP by timestamp; what may shift a run is where each side's clock put the
  // stream's start (its most prompt packet), so this process's stalls plus timer granularity.
  const tolerance = Math.round((3 + stallsMs) * perMs);
  const fits = runFits(heard, shifted, runs, Math.min(tolerance, 2000 * perMs), 50 * perMs, 300, perMs * 1000).filter((f) => f.windows.length > 0);
  const whole = wholeFit(heard, realign(shifted, fits), 0).corr;
  console.info(`${label}: left corr ${leftCorr.toFixed(4)} at ${(lag / perMs).toFixed(2)} ms; right: ${describeRuns(fits, perMs * 1000)}; recording ends at ${(shifted.length / perMs).toFixed(2)} ms, phone sent from ${p.startMs.toFixed(2)} ms, heard audio from ${((runs[0]?.[0] ?? 0) / perMs).toFixed(2)} ms to ${((runs[runs.length - 1]?.[1] ?? 0) / perMs).toFixed(2)} ms; whole call ${whole.toFixed(4)}; stalls up to ${stallsMs.toFixed(1)} ms`);
  expect(fits.length).toBeGreaterThan(0);
  for (const f of fits) {
    expect(Math.abs(f.lag), `${label}: run at ${f.from / perMs} ms placed ${f.lag / perMs} ms off`).toBeLessThanOrEqual(tolerance);
    expect(f.corr, `${label}: run at ${f.from / perMs} ms`).toBeGreaterThanOrEqual(0.99);
    for (const w of f.windows) expect(w, `${label}: a window of the run at ${f.from / perMs} ms`).toBeGreaterThanOrEqual(0.99);
  }
  expect(whole, `${label}: whole call`).toBeGreaterThanOrEqual(0.99);
  return { lag, shifted, heard, runs, tolerance };
}

