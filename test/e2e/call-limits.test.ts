import { mkdtempSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../media/wav.js';
import { createCallerSpeechDetector } from '../../src/media-adapters/caller-speech-detector.js';
import { haveAudioTools, mixAtSnr, noise, speechWav, concatInt16 } from '../support/audio-tools.js';
import { leakedHandles, liveHandles, startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames, bridgeForwarding, placeCall } from '../support/call-helpers.js';
import { eventLoopDelay } from '../support/wait.js';
import { toneInt16 } from '../support/signal.js';
import type { MediaStreamCaller } from '../../tools/twilio-standin/media-stream-caller.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const skip = !haveAudioTools();
let speech: Int16Array;
beforeAll(async () => {
  if (!skip) speech = speechWav('Hello, can you hear me? I am calling about my account.', { rate: 8000 });
  // The voice detector's WASM module loads once per process: load it now, so that a call's detector
  // is ready as its session starts instead of after a (slow, on a busy machine) compile.
  (await createCallerSpeechDetector()).dispose();
});

describe.skipIf(skip)('silence timeout (voice activity, not packets)', () => {
  it('a caller who goes quiet is hung up after the timeout and not before', async () => {
    harness = await startHarness({ mode: 'scripted' }, { SILENCE_END_CALL_TIMEOUT_SECONDS: '2' });
    const lag = eventLoopDelay();
    const said = sayOnceTheBridgeHasTheCall(harness, speech);
    const { call, ended } = await placeCall(harness, { onStream: said.onStream });
    const speechEndsAt = await said.sent;
    const session = await ended;
    expect(session.endReason).toBe('silence-timeout');
    const quietFor = performance.now() - speechEndsAt;
    // Watchdog runs each second, hang-over 0.5 s after the last word: [2 s, ~3.7 s]. The bridge
    // shares this process: a stall of its event loop holds back the caller's frames, and the bridge
    // sees that long a silence: the lower bound gives way by the longest stall measured, the upper
    // one (a timer, then the teardown's steps) by the time the loop stalled in all.
    const { maxMs, stalledMs } = lag.stop();
    expect(quietFor).toBeGreaterThanOrEqual(2000 - maxMs);
    expect(quietFor).toBeLessThan(4200 + stalledMs);
    await call.ended;
  });

  it('a goodbye given as text is spoken by the bridge (espeak-ng) and heard before the hang-up', async () => {
    const goodbye = 'We have not heard from you, so we will end the call now. Goodbye.';
    const dir = mkdtempSync('/tmp/bridge-goodbye-');
    harness = await startHarness({ mode: 'scripted' }, {
      SILENCE_END_CALL_TIMEOUT_SECONDS: '2', TTS_ENGINE: 'espeak', AGENTS_FILE: writeAgents(dir, { silenceGoodbyeText: goodbye }),
    });
    const { call, conv, ended } = await placeCall(harness, { callerAudio: { pcm8k: concatInt16(speech, new Int16Array(8000 * 12)) } });
    await conv.started;
    const session = await ended;
    expect(session.endReason).toBe('silence-timeout');
    // The agent says nothing in this test, so everything audible is the goodbye; the
    // bridge's espeak-ng voice may differ in pace from this reference rendering.
    const reference = audibleFrames(speechWav(goodbye, { rate: 8000 }));
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(Math.round(reference * 0.6));
    await call.ended;
  });

  it('a caller talking softly over line noise (10 dB SNR) is not hung up', async () => {
    harness = await startHarness({ mode: 'scripted' }, { SILENCE_END_CALL_TIMEOUT_SECONDS: '2' });
    const soft = new Int16Array(speech.map((v) => Math.round(v * 0.1)));
    const talk = concatInt16(soft, soft, soft);
    const noisy = mixAtSnr(talk, noise(talk.length, 1, 7), 10);
    const said = sayOnceTheBridgeHasTheCall(harness, noisy);
    const { call } = await placeCall(harness, { onStream: said.onStream, keepStreaming: true });
    // All of the talk has been sent (over 10 s; the 2 s timeout would have struck several times over).
    await said.sent;
    expect(call.stream!.isOpen).toBe(true);
    expect(harness.bridge.registry.size).toBe(1);
    await call.hangup();
  });
});

describe('time limits', () => {
  it('maximum duration plays the closing message and ends with max-duration', async () => {
    const dir = mkdtempSync('/tmp/bridge-clip-');
    writeFileSync(`${dir}/closing.wav`, encodeWav({ sampleRate: 16000, encoding: 'pcm16', data: toneInt16(500, 16000, 1, 8000) }));
    harness = await startHarness({ mode: 'scripted' }, { MAX_CALL_DURATION_SECONDS: '2', AGENTS_FILE: writeAgents(dir, { maxDurationAudio: `${dir}/closing.wav` }) });
    const { call, ended } = await placeCall(harness);
    const session = await ended;
    expect(session.endReason).toBe('max-duration');
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(48); // the 1 s closing message
    expect(session.endedAt! - session.startedAt).toBeGreaterThanOrEqual(2900);
  });

  it('no media from the phone side ends the call with media-timeout', async () => {
    harness = await startHarness({ mode: 'scripted' }, { MEDIA_TIMEOUT_SECONDS: '1.5' });
    const { call, ended } = await placeCall(harness, { keepStreaming: false });
    const session = await ended;
    expect(session.endReason).toBe('media-timeout');
    await call.ended;
  });
});

describe('agent failures', () => {
  it.each(['kill', 'close-1011'] as const)('agent lost mid-call (%s): fallback within 2 s, then hang up (policy hangup)', async (how) => {
    const baseline = liveHandles();
    harness = await startHarness({ mode: 'scripted' });
    const { call, conv, ended } = await placeCall(harness);
    await bridgeForwarding(conv);
    const lag = eventLoopDelay();
    const failedAt = call.stream!.nowMs();
    if (how === 'kill') conv.kill();
    else conv.close(1011, 'internal error');
    const session = await ended;
    expect(session.endReason).toBe('agent-failed');
    // The caller's own timeline (the stream's), not the call's: failedAt counts from the stream's origin.
    const heard = call.stream!.heardPcm();
    const firstAudible = firstAudibleMs(heard, failedAt);
    // Within 2 s of the failure, later only by as much as this process's event loop ran late.
    expect(firstAudible - failedAt).toBeLessThan(2000 + lag.stop().stalledMs);
    expect(audibleFrames(heard)).toBeGreaterThanOrEqual(28); // the built-in 2 x 300 ms tone, played in full
    await call.ended;
    await harness.close();
    harness = undefined;
    expect(await leakedHandles(baseline)).toEqual({});
  });

  it('policy retry: the caller hears the fallback, then a new conversation continues the call', async () => {
    harness = await startHarness({ mode: 'scripted' }, { AGENT_FAILURE_POLICY: 'retry' });
    const { call, conv } = await placeCall(harness);
    await conv.started;
    const second = new Promise<import('../../tools/reference-agent/reference-agent.js').Conversation>((r) => harness!.agent.once('conversation', r));
    conv.kill();
    const next = await second;
    await next.started;
    await next.waitFor(() => next.contextualUpdates.length > 0);
    expect(next.contextualUpdates[0]).toContain('cut off');
    expect(next.initiation?.dynamic_variables?.call_sid).toBe(call.callSid);
    await next.waitFor(() => next.userAudio.durationMs > 500);
    expect(harness.bridge.registry.size).toBe(1);
    await call.hangup();
  });

  it('an agent that cannot be reached: the caller hears the fallback within 2 s and the call ends', async () => {
    harness = await startHarness({ mode: 'scripted' }, { ELEVENLABS_AGENT_ID: 'no-such-agent' });
    const ended = new Promise<import('../../src/call/call-session.js').CallSession>((r) => harness!.bridge.events.once('call-ended', r));
    const { simulateInboundCall } = await import('../../tools/twilio-standin/call-simulator.js');
    const { AUTH_TOKEN, ACCOUNT_SID } = await import('../support/bridge-harness.js');
    const lag = eventLoopDelay();
    const call = await simulateInboundCall({ bridgeUrl: harness.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222' });
    const session = await ended;
    expect(session.endReason).toBe('agent-failed');
    expect(firstAudibleMs(call.heardPcm(), 0)).toBeLessThan(2000 + lag.stop().stalledMs);
    await call.ended;
  });
});

/**
 * The caller says `pcm8k` from the moment the bridge has the call (its session, with the voice
 * detector, exists): on a busy machine the stream's start can reach the bridge late, and speech
 * sent before that is never judged. `sent` resolves with the time (performance.now()) its last frame went out.
 */
function sayOnceTheBridgeHasTheCall(h: Harness, pcm8k: Int16Array): { onStream: (s: MediaStreamCaller) => void; sent: Promise<number> } {
  let stream: MediaStreamCaller | undefined;
  const sent = new Promise<number>((resolve) => {
    const unwatch = h.bridge.registry.watch((change) => {
      if (change !== 'added') return;
      unwatch();
      void stream!.play({ pcm8k }).then(() => resolve(performance.now()));
    });
  });
  return { onStream: (s) => (stream ??= s), sent };
}

function firstAudibleMs(pcm: Int16Array, fromMs: number): number {
  for (let i = Math.floor(fromMs * 8); i + 160 <= pcm.length; i += 160) {
    if (audibleFrames(pcm, 300, i, i + 160) > 0) return i / 8;
  }
  return Infinity;
}

function writeAgents(dir: string, defaults: Record<string, unknown>): string {
  writeFileSync(`${dir}/agents.json`, JSON.stringify({ defaults }));
  return `${dir}/agents.json`;
}
