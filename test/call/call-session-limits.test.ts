/**
 * CallSession's time limits on a fake clock: media inactivity, maximum
 * duration and caller silence, judged by the session's own watchdog (1 s
 * period) through its public surface. The leg and agent are in-memory ports;
 * the policy, the watchdog, the speech detector and the ending sequence are the
 * real ones. Exact times are asserted: with fake timers nothing is late.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SpeechDetector } from '../../media/speech-detector.js';
import { encodeWav } from '../../media/wav.js';
import { rms } from '../support/signal.js';
import { ULAW_LOUD, ULAW_SILENCE, endedNow, startCall } from './fake-ports.js';

const WATCHDOG_MS = 1000;
const GRACE_MS = 300; // END_CALL_GRACE_MS default

/** Real SpeechDetector; the frame verdict is by level (the WASM VAD's own judgement is tested in test/media-adapters). */
const levelSpeechDetector = async () => ({
  detector: new SpeechDetector({ isSpeech: (frame: Int16Array) => rms(frame) > 1000 }),
  dispose: () => undefined,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('media inactivity', () => {
  it('a call whose phone side sends nothing ends as media-timeout at the first watchdog tick past the limit', async () => {
    const c = startCall({ policy: { mediaTimeoutSeconds: 5 } });
    await vi.advanceTimersByTimeAsync(5000 - WATCHDOG_MS);
    expect(c.session.state).toBe('active');
    expect(c.leg.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(WATCHDOG_MS);
    const s = await endedNow(c);
    expect(s.endReason).toBe('media-timeout');
    expect(s.endedAt! - s.startedAt).toBe(5000);
    expect(c.leg.hangups).toEqual(['media-timeout']);
    expect(c.agents[0]!.closed?.code).toBe(1000);
    expect(vi.getTimerCount()).toBe(0); // every timer of the call is gone
  });

  it('frames keep the call up; the limit counts from the last frame', async () => {
    const c = startCall({ policy: { mediaTimeoutSeconds: 5 } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(c.session.state).toBe('active');
    stop();
    const lastFrameAt = Date.now();
    await vi.advanceTimersByTimeAsync(5000 - WATCHDOG_MS);
    expect(c.session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(WATCHDOG_MS);
    const s = await endedNow(c);
    expect(s.endReason).toBe('media-timeout');
    // Ends at the first tick at or after lastFrame + 5 s.
    expect(s.endedAt! - lastFrameAt).toBeGreaterThanOrEqual(5000);
    expect(s.endedAt! - lastFrameAt).toBeLessThan(5000 + WATCHDOG_MS);
  });
});

describe('maximum duration', () => {
  it('without a message: hangs up max-duration + end-call grace after the start, agent audio included', async () => {
    const c = startCall({ policy: { maxDurationSeconds: 4 } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(3000);
    expect(c.session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(WATCHDOG_MS);
    expect(c.session.state).toBe('ending'); // limit reached: the final mark is out, the grace runs
    expect(c.leg.marks).toEqual(['final']);
    await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(c.session.state).toBe('ending');
    await vi.advanceTimersByTimeAsync(1);
    const s = await endedNow(c);
    stop();
    expect(s.endReason).toBe('max-duration');
    expect(s.endedAt! - s.startedAt).toBe(4000 + GRACE_MS);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with a message: queued agent audio is replaced by the message, which plays whole before the hang-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maxdur-'));
    const wav = join(dir, 'bye.wav');
    const messageMs = 1500;
    writeFileSync(wav, encodeWav({ sampleRate: 8000, encoding: 'ulaw', data: new Uint8Array((messageMs / 1000) * 8000).fill(ULAW_LOUD) }));
    const c = startCall({ policy: { maxDurationSeconds: 3, maxDurationAudio: wav } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(2500);
    c.agents[0]!.speak(5000); // a long answer still queued when the limit is reached
    await vi.advanceTimersByTimeAsync(500);
    expect(c.session.state).toBe('ending');
    expect(c.leg.clears).toBe(1); // the agent's unplayed audio was dropped
    const messageFrames = c.leg.sent.filter((f) => f.at === Date.now());
    expect(messageFrames.length).toBe(messageMs / 20);
    await vi.advanceTimersByTimeAsync(messageMs + GRACE_MS);
    const s = await endedNow(c);
    stop();
    expect(s.endReason).toBe('max-duration');
    expect(s.endedAt! - s.startedAt).toBe(3000 + messageMs + GRACE_MS);
  });
});

describe('caller silence', () => {
  it('ends as silence-timeout once the caller has not spoken for the limit while the agent is quiet', async () => {
    const c = startCall({ policy: { silenceEndCallTimeoutSeconds: 5 }, session: { createSpeechDetector: levelSpeechDetector } });
    let speaking = true;
    const stop = c.leg.stream(() => (speaking ? ULAW_LOUD : ULAW_SILENCE));
    await vi.advanceTimersByTimeAsync(3000);
    speaking = false;
    const speechEndedAt = Date.now();
    // Speech counts until the detector's hangover (500 ms) has run out, so the limit runs from about then.
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(500 + WATCHDOG_MS + GRACE_MS);
    const s = await endedNow(c);
    stop();
    expect(s.endReason).toBe('silence-timeout');
    expect(s.endedAt! - speechEndedAt).toBeGreaterThan(5000);
    expect(s.endedAt! - speechEndedAt).toBeLessThanOrEqual(5000 + 500 + WATCHDOG_MS + GRACE_MS);
  });

  it('a caller listening to a long answer is not silent: the limit counts from the end of the agent audio', async () => {
    const c = startCall({ policy: { silenceEndCallTimeoutSeconds: 5 }, session: { createSpeechDetector: levelSpeechDetector } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(1000);
    c.agents[0]!.speak(10_000); // heard until t = 11 s
    const audibleUntil = Date.now() + c.leg.unplayedMs();
    expect(audibleUntil).toBe(11_000 + c.session.startedAt);
    await vi.advanceTimersByTimeAsync(audibleUntil + 5000 - WATCHDOG_MS - Date.now());
    expect(c.session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(WATCHDOG_MS + GRACE_MS);
    const s = await endedNow(c);
    stop();
    expect(s.endReason).toBe('silence-timeout');
    expect(s.endedAt! - audibleUntil).toBe(5000 + GRACE_MS);
  });

  it('a caller who keeps talking is never cut off by the silence limit', async () => {
    const c = startCall({ policy: { silenceEndCallTimeoutSeconds: 5 }, session: { createSpeechDetector: levelSpeechDetector } });
    const stop = c.leg.stream(() => ULAW_LOUD);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.session.state).toBe('active');
    stop();
    await c.session.end('caller-hangup', 'test over');
    expect(c.session.endReason).toBe('caller-hangup');
  });
});
