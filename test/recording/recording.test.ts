/**
 * Recordings end to end: a Twilio-simulated call through the bridge with
 * RECORDING=on. The WAV's left channel must be what the simulated caller
 * sent, the right what it heard (its own playout model, cut at barge-in);
 * pause leaves silence of the paused length on both channels.
 */
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { concatInt16, haveAudioTools, speechWav } from '../support/audio-tools.js';
import { bridgeForwarding, placeCall } from '../support/call-helpers.js';
import { correlationAtLag, normalizedCrossCorrelation, toneInt16 } from '../support/signal.js';
import { waitFor } from '../support/wait.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const api = (h: Harness, method: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${h.bridgeUrl}${path}`, { method, headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } });

function channels(wav: Uint8Array): { left: Int16Array; right: Int16Array } {
  const parsed = parseWav(wav);
  expect(parsed).toMatchObject({ sampleRate: 8000, channels: 2, encoding: 'pcm16' });
  const all = pcm16FromBytes(parsed.data);
  const left = new Int16Array(all.length / 2);
  const right = new Int16Array(all.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = all[2 * i]!;
    right[i] = all[2 * i + 1]!;
  }
  return { left, right };
}

describe.skipIf(!haveAudioTools())('recording', () => {
  it('left = what the caller sent; right holds what the caller heard, cut at barge-in; served with Range', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted', outputFormat: 'pcm_16000' }, { RECORDING: 'on' });
    const callerSpeech = speechWav('Hello, I would like to check the status of my order please.', { rate: 8000 });
    // Synthesized before the call: espeak runs synchronously and would stall this process's event loop mid-call.
    const agentSpeech = speechWav('Thank you for calling. Let me look that up for you, one moment. I can see your order here and it is on its way to you now.', { rate: 16000 });
    const { call, conv, ended } = await placeCall(harness, { callerAudio: { pcm8k: callerSpeech } });
    await conv.started;
    const stream = call.stream!;
    const sentMs = () => stream.recorder.counts().mediaBytes / 8;
    await conv.say({ text: 'first answer', audio: { pcm: agentSpeech.subarray(0, 16000 * 2), sampleRate: 16000 } });
    // The first answer (2 s) plays out fully: all of it reached the caller, and its queue ran empty.
    await waitFor(() => sentMs() >= 2000 - 20 && stream.queuedMs === 0, { what: 'first answer played' });
    const firstMs = sentMs();
    void conv.say({ text: 'long answer', audio: { pcm: agentSpeech, sampleRate: 16000 } });
    await waitFor(() => sentMs() >= firstMs + 1500, { what: '1.5 s of the long answer sent' });
    conv.interrupt(); // barge-in: the rest of the long answer is never heard
    const clear = await stream.recorder.waitFor((r) => r.event === 'clear', 10_000);
    // A negative check: the rest of the answer (7 s) must not show up in the recording. Audio leaking
    // after the clear would be there after a second of the caller's time (the bound below allows 300 ms).
    await waitFor(() => stream.nowMs() >= clear.atMs + 1000, { what: '1 s after the clear' });
    await call.hangup();
    const session = await ended;

    const res = await api(harness, 'GET', `/calls/${session.id}/recording`);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    const wav = new Uint8Array(await res.arrayBuffer());
    const { left, right } = channels(wav);
    // Range (express sendFile): 206 with exactly the requested bytes.
    const part = await api(harness, 'GET', `/calls/${session.id}/recording`, { range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(wav.subarray(44, 1044));

    // The call's record links it.
    const stored = (await (await api(harness, 'GET', `/calls/${session.id}`)).json()) as { metadata: { recording: { durationMs: number } } };
    // Left: the μ-law the caller sent, decoded, from the first frame.
    const sent = alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(callerSpeech));
    const leftFit = normalizedCrossCorrelation(sent, left.subarray(0, sent.length), 160);
    expect(leftFit.lag).toBe(0);
    expect(leftFit.corr).toBeGreaterThanOrEqual(0.99);
    // Right: each stretch of heard audio (the caller's own playout model) is found in the right channel.
    const heard = call.heardPcm();
    const fits = audibleStretches(heard).map(([a, b]) => {
      const piece = heard.subarray(a, b);
      let best = { corr: -1, at: 0 };
      for (let at = Math.max(0, a - 24_000); at + piece.length <= right.length && at <= a + 800; at += 1) {
        const corr = correlationAtLag(piece, right.subarray(at, at + piece.length), 0);
        if (corr > best.corr) best = { corr, at };
      }
      return { ms: (b - a) / 8, corr: best.corr, offsetMs: (best.at - a) / 8 };
    });
    console.info(`recording: ${(left.length / 8000).toFixed(2)} s; left corr ${leftFit.corr.toFixed(4)} lag ${leftFit.lag}; right stretches ${JSON.stringify(fits.map((f) => ({ ms: f.ms, corr: +f.corr.toFixed(4), offsetMs: f.offsetMs })))}`);
    expect(fits.length).toBeGreaterThanOrEqual(2);
    // Each stretch the caller heard (between pauses and playout underruns) is in the right channel.
    // Its position is the bridge's view of the timeline: stalls between the bridge and the simulated
    // caller (one busy process here) shift the caller's playout, which the bridge cannot see.
    // At least 85% of what the caller heard is in the right channel with correlation >= 0.99 (the start
    // of playback, where this process's own stalls reorder the simulated caller's playout, may miss).
    const matchedMs = fits.filter((f) => f.corr >= 0.99).reduce((t, f) => t + f.ms, 0);
    const heardMs = fits.reduce((t, f) => t + f.ms, 0);
    console.info(`recording: ${matchedMs.toFixed(0)} of ${heardMs.toFixed(0)} ms heard matched at >= 0.99`);
    expect(matchedMs / heardMs).toBeGreaterThanOrEqual(0.85);
    // Cut at barge-in: the heard part of the long answer is in the recording, and nothing of it after.
    const totalHeard = fits.reduce((t, f) => t + f.ms, 0);
    expect(totalHeard).toBeLessThan(2000 + 9000 - 1000);
    expect(audibleMs(right)).toBeLessThan(audibleMs(heard) + 300);
    expect(Math.abs(stored.metadata.recording.durationMs - (left.length / 8))).toBeLessThan(2);
  });

  it('pause leaves silence of the paused length on both channels; resume records again', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { RECORDING: 'on' });
    // Long enough for the three stretches below after a slow set-up on a busy machine.
    const tone = toneInt16(300, 8000, 30, 8000);
    const { call, conv, ended } = await placeCall(harness, { callerAudio: { pcm8k: tone } });
    // The bridge receives caller audio as the agent receives it (it forwards every frame, paused or not).
    const received = () => conv.userAudio.durationMs;
    await bridgeForwarding(conv);
    await conv.waitFor(() => received() >= 1000);
    const paused = (await (await api(harness, 'POST', `/calls/${call.callSid}/recording/pause`)).json()) as { recording: string; at_ms: number };
    expect(paused.recording).toBe('paused');
    const atPause = received();
    await conv.waitFor(() => received() >= atPause + 1200);
    const resumed = (await (await api(harness, 'POST', `/calls/${call.callSid}/recording/resume`)).json()) as { recording: string; at_ms: number };
    expect(resumed.recording).toBe('recording');
    const atResume = received();
    await conv.waitFor(() => received() >= atResume + 800);
    expect((await api(harness, 'GET', `/calls/${call.callSid}/recording`)).status).toBe(409); // still recording
    await call.hangup();
    const session = await ended;
    const { left, right } = channels(new Uint8Array(await (await api(harness, 'GET', `/calls/${session.id}/recording`)).arrayBuffer()));
    const run = longestZeroRun(left);
    const expected = (resumed.at_ms - paused.at_ms) * 8;
    console.info(`pause: silent run ${run.length} samples at ${run.start}, API said ${expected} samples at ${paused.at_ms * 8}`);
    expect(Math.abs(run.length - expected)).toBeLessThanOrEqual(160);
    expect(Math.abs(run.start - paused.at_ms * 8)).toBeLessThanOrEqual(160);
    for (let i = run.start; i < run.start + run.length; i++) if (right[i] !== 0) throw new Error(`right channel not silent at ${i}`);
    // Tone on both sides of the pause on the left.
    expect(Math.abs(correlationAtLag(left.subarray(run.start - 800, run.start), tone.subarray(0, 800), 0))).toBeGreaterThan(0); // audible before
    expect(maxAbs(left.subarray(run.start + run.length, run.start + run.length + 800))).toBeGreaterThan(1000);
    expect(maxAbs(left.subarray(run.start - 800, run.start))).toBeGreaterThan(1000);
  });
});

/** Stretches [start, end) of audio separated by digital silence of 2 ms or more (pauses, playout underruns). */
function audibleStretches(x: Int16Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  let quiet = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      if (start < 0) start = i;
      quiet = 0;
    } else if (start >= 0 && ++quiet >= 16) {
      out.push([start, i - quiet + 1]);
      start = -1;
      quiet = 0;
    }
  }
  if (start >= 0) out.push([start, x.length - quiet]);
  return out.filter(([a, b]) => b - a >= 800);
}

function audibleMs(x: Int16Array): number {
  let n = 0;
  for (let i = 0; i + 160 <= x.length; i += 160) if (maxAbs(x.subarray(i, i + 160)) > 300) n++;
  return n * 20;
}

function maxAbs(x: Int16Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}

function longestZeroRun(x: Int16Array): { start: number; length: number } {
  let best = { start: 0, length: 0 };
  let start = -1;
  for (let i = 0; i <= x.length; i++) {
    if (i < x.length && x[i] === 0) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start > best.length) best = { start, length: i - start };
      start = -1;
    }
  }
  return best;
}
void concatInt16;
