/**
 * Recordings end to end: a Twilio-simulated call through the bridge with
 * RECORDING=on. The WAV's left channel must be what the simulated caller
 * sent, the right what it heard (its own playout of what arrived, cut at
 * barge-in), both on the stream's timeline (0 = the caller's first frame);
 * pause leaves silence of the paused length on both channels.
 */
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { placeCall } from '../support/call-helpers.js';
import { correlationAtLag, normalizedCrossCorrelation, toneInt16 } from '../support/signal.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';
import type { MediaStreamCaller } from '../../tools/twilio-standin/media-stream-caller.js';
import { channels as splitChannels, describeRuns, maxAbs, playoutRuns, realign, runFits, wholeFit } from './compare.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const api = (h: Harness, method: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${h.bridgeUrl}${path}`, { method, headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } });

const channels = (wav: Uint8Array) => splitChannels(wav, 8000);

/** Waits until the simulated caller has sent `ms` more of audio: call time, however busy the machine. */
async function callTime(call: { stream: MediaStreamCaller | undefined }, ms: number): Promise<void> {
  const frames = call.stream!.recorder.sentFrames;
  const target = frames.length + ms / 20;
  await waitFor(() => frames.length >= target, { what: `${ms} ms of call time`, timeoutMs: 20_000 + ms * 5 });
}

describe.skipIf(!haveAudioTools())('recording', () => {
  it('left = what the caller sent; right = what the caller heard when it heard it, cut at barge-in; served with Range', { timeout: 90_000 }, async () => {
    harness = await startHarness({ mode: 'scripted', outputFormat: 'pcm_16000' }, { RECORDING: 'on' });
    const callerSpeech = speechWav('Hello, I would like to check the status of my order please.', { rate: 8000 });
    // Synthesized before the call: espeak runs synchronously and would stall this process's event loop mid-call.
    const agentSpeech = speechWav('Thank you for calling. Let me look that up for you, one moment. I can see your order here and it is on its way to you now.', { rate: 16000 });
    const loop = eventLoopDelay();
    const { call, conv, ended } = await placeCall(harness, { callerAudio: { pcm8k: callerSpeech } });
    await conv.started;
    const stream = call.stream!;
    const receivedMs = (): number => stream.recorder.received.reduce((t, r) => t + (r.event === 'media' ? r.bytes / 8 : 0), 0);
    await conv.say({ text: 'first answer', audio: { pcm: agentSpeech.subarray(0, 16000 * 2), sampleRate: 16000 } });
    await waitFor(() => receivedMs() >= 1980 && stream.queuedMs === 0, { what: 'the first answer played out', timeoutMs: 20_000 });
    const before = receivedMs();
    void conv.say({ text: 'long answer', audio: { pcm: agentSpeech, sampleRate: 16000 } });
    await waitFor(() => receivedMs() - before - stream.queuedMs >= 1500, { what: '1.5 s of the long answer heard', timeoutMs: 20_000 });
    conv.interrupt(); // barge-in: the rest of the long answer is never heard
    const clear = await stream.recorder.waitFor((r) => r.event === 'clear');
    await callTime(call, 500); // half a second more of the call, so a wrongly kept tail would show
    await call.hangup();
    const session = await ended;
    const stalls = loop.stop();

    const res = await api(harness, 'GET', `/calls/${session.id}/recording`);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    const wav = new Uint8Array(await res.arrayBuffer());
    const { left, right } = channels(wav);
    // Range (express sendFile): 206 with exactly the requested bytes.
    const part = await api(harness, 'GET', `/calls/${session.id}/recording`, { range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(wav.subarray(44, 1044));
    const stored = (await (await api(harness, 'GET', `/calls/${session.id}`)).json()) as { metadata: { recording: { durationMs: number } } };
    expect(Math.abs(stored.metadata.recording.durationMs - (left.length / 8))).toBeLessThan(2);

    // Left: the μ-law the caller sent, decoded, from its first frame (the timeline's origin).
    const sent = alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(callerSpeech));
    const leftFit = normalizedCrossCorrelation(sent, left.subarray(0, sent.length), 160);
    expect(leftFit.lag).toBe(0);
    expect(leftFit.corr).toBeGreaterThanOrEqual(0.99);

    // Right: what the caller heard, on the same (stream) timeline. Each run it played back to back
    // is found at its own lag, the bridge's error in placing it: the far end's reports (mark echoes)
    // run late by this process's event-loop delays, so that is the tolerance (plus 3 ms of timer
    // granularity on both sides). Judged whole and in 50 ms windows, then the whole call with every
    // run moved back by its lag, so audio the caller never heard counts against it.
    const heard = stream.heardPcm();
    const media = stream.recorder.received.flatMap((r) => (r.event === 'media' ? [r] : []));
    const tolerance = Math.round((3 + stalls.maxMs) * 8);
    const fits = runFits(heard, right, playoutRuns(media, 8000, clear.atMs), Math.min(tolerance, 2000), 400).filter((f) => f.windows.length > 0);
    const whole = realign(right, fits);
    const wholeCorr = wholeFit(heard, whole, 0).corr;
    const oneLag = wholeFit(heard, right, 80);
    console.info(`recording: ${(left.length / 8000).toFixed(2)} s, event loop late up to ${stalls.maxMs.toFixed(1)} ms (median ${stalls.p50Ms.toFixed(1)}); `
      + `left corr ${leftFit.corr.toFixed(4)} lag ${leftFit.lag}; right: ${describeRuns(fits, 8000)}; whole call ${wholeCorr.toFixed(4)} `
      + `(at one lag for all runs: ${oneLag.corr.toFixed(4)} at ${(oneLag.lag / 8).toFixed(2)} ms)`);
    expect(fits.reduce((t, f) => t + f.to - f.from, 0) / 8).toBeGreaterThan(2500); // most of the first answer and 1.5 s of the second
    for (const f of fits) {
      expect(Math.abs(f.lag), `run at ${f.from / 8} ms placed ${f.lag / 8} ms off`).toBeLessThanOrEqual(tolerance);
      expect(f.corr, `run at ${f.from / 8} ms`).toBeGreaterThanOrEqual(0.99);
      for (const w of f.windows) expect(w, `a window of the run at ${f.from / 8} ms`).toBeGreaterThanOrEqual(0.99);
    }
    expect(wholeCorr).toBeGreaterThanOrEqual(0.99);
    // Cut at barge-in: after the caller cut (its own clock), the right channel is silent to the end,
    // though most of the long answer had reached the bridge (the agent speaks faster than real time).
    const cutAt = Math.round(clear.atMs * 8);
    expect(receivedMs() - before).toBeLessThan(agentSpeech.length / 16 - 2000);
    expect(maxAbs(heard, cutAt)).toBe(0);
    expect(maxAbs(right, cutAt + tolerance)).toBe(0);
  });

  it('pause leaves silence of the paused length on both channels; resume records again', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { RECORDING: 'on' });
    const tone = toneInt16(300, 8000, 8, 8000);
    const { call, conv, ended } = await placeCall(harness, { callerAudio: { pcm8k: tone } });
    await conv.started;
    await callTime(call, 1000);
    // The bridge, not only the caller, is a second into the call: under load its reading of the
    // stream can lag the caller's clock by most of that, and the pause must have tone before it.
    await conv.waitFor(() => conv.userAudio.durationMs >= 1000, 20_000);
    const paused = (await (await api(harness, 'POST', `/calls/${call.callSid}/recording/pause`)).json()) as { recording: string; at_ms: number };
    expect(paused.recording).toBe('paused');
    await callTime(call, 1200);
    const resumed = (await (await api(harness, 'POST', `/calls/${call.callSid}/recording/resume`)).json()) as { recording: string; at_ms: number };
    expect(resumed.recording).toBe('recording');
    await callTime(call, 800);
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
