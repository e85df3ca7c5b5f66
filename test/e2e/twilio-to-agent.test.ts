import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import { simulateInboundCall, type SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import type { AgentAudioFormat, Conversation } from '../../tools/reference-agent/reference-agent.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { ACCOUNT_SID, AUTH_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames, receivedAudio } from '../support/call-helpers.js';
import { normalizedCrossCorrelation, resampleForCompare, rms } from '../support/signal.js';
import { waitFor } from '../support/wait.js';

const skip = !haveAudioTools();
let speech8k: Int16Array;
let harness: Harness | undefined;

beforeAll(() => {
  if (!skip) speech8k = speechWav('Hello, I would like to check the status of my order please.', { rate: 8000 });
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function placeCall(h: Harness, pcm8k: Int16Array): Promise<{ call: SimulatedCall; conv: Conversation }> {
  const convPromise = new Promise<Conversation>((r) => h.agent.once('conversation', r));
  const call = await simulateInboundCall({
    bridgeUrl: h.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
    from: '+15550001111', to: '+15550002222', callerAudio: { pcm8k },
  });
  return { call, conv: await convPromise };
}

function loudestWindow(x: Int16Array, length: number): Int16Array {
  let best = 0;
  let bestRms = -1;
  for (let start = 0; start + length <= x.length; start += 400) {
    const r = rms(x, start, start + length);
    if (r > bestRms) [best, bestRms] = [start, r];
  }
  return x.subarray(best, best + length);
}

function endedSession(h: Harness): Promise<CallSession> {
  return new Promise((r) => h.bridge.events.once('call-ended', r));
}

describe.skipIf(skip)('a Twilio call talks to the agent through the bridge', () => {
  // Seconds of brute-force correlation per format, on a machine that may give this process a fraction
  // of a core: a deadline above the default.
  it.each<AgentAudioFormat>(['ulaw_8000', 'pcm_16000', 'pcm_44100'])('agent format %s', { timeout: 120_000 }, async (format) => {
    harness = await startHarness({ inputFormat: format, outputFormat: format, mode: 'echo', pingIntervalMs: 250 });
    const ended = endedSession(harness);
    const { call, conv } = await placeCall(harness, speech8k);
    const speechMs = (speech8k.length / 8000) * 1000;

    // The agent hears the caller, in its own format, for the whole utterance.
    await conv.waitFor(() => conv.userAudio.durationMs >= speechMs + 300, 15_000);
    expect(conv.initiation?.dynamic_variables).toMatchObject({
      caller_id: '+15550001111', called_number: '+15550002222', call_sid: call.callSid,
    });

    // The echo comes back to the caller as paced 20 ms μ-law frames (the echo trails the caller's audio).
    const stream = call.stream!;
    const mediaCount = () => stream.recorder.received.filter((r) => r.event === 'media').length;
    await stream.recorder.waitFor(() => mediaCount() > speechMs / 20 - 5, 15_000);

    // Pings were answered with the right event ids: every ping sent so far gets its pong (the
    // latest may still be in flight on a busy machine, so wait for it rather than discount it).
    const asked = conv.pings.map((p) => p.eventId);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    await conv.waitFor(() => asked.every((id) => conv.pongs.some((p) => p.matched && p.eventId === id)), 5000);
    expect(conv.pongs.every((p) => p.matched)).toBe(true);

    await call.hangup();
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    const closed = await conv.closed;
    expect(closed.code).toBe(1000);

    // The audio is judged after the call: the brute-force correlations below take seconds of CPU
    // on a busy machine, and this process also runs the bridge and both stand-ins, whose calls
    // must not starve (a blocked loop means no caller frames, and the bridge's media timeout).
    // Compared at 8 kHz (the band the phone carries) to keep the correlation cheap.
    // A 0.8 s window, as for the caller below: when the machine stalls this process, the caller's
    // catch-up burst may be cut by the bridge's flood gate (as Twilio's own would be), which leaves a
    // gap in what the agent heard; a gap says nothing about the content on either side of it.
    const heardByAgent = resampleForCompare(conv.userAudio.pcm(), conv.inputFormat.sampleRate, 8000);
    const window = loudestWindow(speech8k, 6400);
    const windowAt = (window.byteOffset - speech8k.byteOffset) / 2; // where the window starts in the utterance
    const toAgent = normalizedCrossCorrelation(window, heardByAgent.subarray(Math.max(0, windowAt - 4000)), 8000 * 3);
    expect(toAgent.corr).toBeGreaterThanOrEqual(0.9);
    const media = stream.recorder.received.filter((r) => r.event === 'media');
    expect(media.every((m) => m.event === 'media' && m.bytes === 160)).toBe(true);
    expect(stream.recorder.problems).toEqual([]);
    // Compare a 0.8 s window of the frames as received: on a loaded machine a frame can
    // arrive after the caller's playout queue ran dry, and the gap that leaves in the
    // played timeline (as on a real call) says nothing about the audio's content.
    const toCaller = normalizedCrossCorrelation(window, receivedAudio(call), 8000 * 3);
    expect(toCaller.corr).toBeGreaterThanOrEqual(0.9);
  });

  it('an interruption clears Twilio and no audio from before it reaches the caller', async () => {
    const longClip = { pcm: speechWav('This is a very long answer that keeps going and going, and the caller will not wait for it to finish at all.', { rate: 16000 }), sampleRate: 16000 };
    harness = await startHarness({
      inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', mode: 'scripted',
      firstMessage: { text: 'long answer', audio: longClip }, sendStaleAudioAfterInterrupt: 5,
    });
    const silence = new Int16Array(8000 * 6);
    const { call, conv } = await placeCall(harness, silence);
    const stream = call.stream!;
    // Interrupt mid-answer: once the caller has been sent a second of it.
    await stream.recorder.waitFor(() => stream.recorder.counts().mediaBytes >= 8000, 15_000);
    conv.interrupt();
    const clear = await stream.recorder.waitFor((r) => r.event === 'clear', 5000);
    // Anything the bridge sends after its clear would be stale: the agent said nothing new. The
    // stale chunks the agent sends after the interruption are the only audio that could leak; wait
    // until the bridge has dropped all five, then hang up: the stream closes only after the bridge's
    // close frame, which follows on the same socket whatever the bridge sent before it.
    const staleDropped = async () =>
      (await harness!.bridge.metrics.droppedFrames.get()).values.find((v) => v.labels.cause === 'stale-after-interruption')?.value;
    await waitFor(async () => (await staleDropped()) === 5, { what: 'stale audio dropped' });
    await call.hangup();
    const mediaAfter = stream.recorder.received.filter((r) => r.event === 'media' && r.atMs > clear.atMs);
    expect(mediaAfter).toEqual([]);
    // On the stream's own timeline (clear.atMs counts from the stream's origin, not the call's).
    const heard = stream.heardPcm();
    // The frame playing when `clear` arrived may finish (20 ms); no whole frame of audio after it.
    expect(audibleFrames(heard, 300, Math.ceil(clear.atMs * 8) + 320)).toBe(0);
    const before = heard.subarray(0, Math.floor(clear.atMs * 8));
    expect(rms(before)).toBeGreaterThan(500);
    expect(await staleDropped()).toBe(5);
  });
});
