import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames, bridgeForwarding, placeCall } from '../support/call-helpers.js';
import { toneInt16 } from '../support/signal.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

let harness: Harness | undefined;
const peak = (x: Int16Array): number => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const goodbye = { text: 'Thank you for calling, goodbye.', audio: { pcm: toneInt16(440, 16000, 3, 8000), sampleRate: 16000 } };

describe('end call after the last word', () => {
  it.each([
    ['closes the socket at once', 0],
    ['closes the socket later', 1500],
    ['keeps the socket open', undefined],
  ])('the caller hears the whole 3 s goodbye when the agent %s', async (_name, closeAfterMs) => {
    harness = await startHarness({ inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', mode: 'scripted' });
    const { call, conv, ended } = await placeCall(harness);
    await bridgeForwarding(conv);
    await conv.endCall({ farewell: goodbye, closeAfterMs });
    const session = await ended;
    const how = await call.ended;
    expect(session.endReason).toBe('agent-ended');
    // 3 s of tone = 150 frames; the goodbye was sent 4x faster than real time, so all of it was queued.
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(148);
    // Closing the stream let Twilio run the <Connect action>, which hung up.
    expect(how.how).toBe('hangup');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Hangup']);
  });

  it('the end_call client tool is answered and ends the call after playback', async () => {
    harness = await startHarness({ inputFormat: 'ulaw_8000', outputFormat: 'ulaw_8000', mode: 'scripted' });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    await conv.say(goodbye);
    const result = await conv.clientToolCall('end_call', { reason: 'done' });
    expect(result.isError).toBe(false);
    expect((await ended).endReason).toBe('agent-ended');
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(148);
  });

  it('an unknown client tool gets an error result, and the call goes on', async () => {
    harness = await startHarness({ mode: 'scripted' });
    const { call, conv } = await placeCall(harness);
    await conv.started;
    const result = await conv.clientToolCall('open_the_pod_bay_doors', {});
    expect(result.isError).toBe(true);
    expect(result.result).toContain('open_the_pod_bay_doors');
    expect(conv.isOpen).toBe(true);
    await call.hangup();
  });
});

describe('barge-in', () => {
  const longAnswer = {
    text: 'Our opening hours are nine to five on weekdays and ten to two on saturdays, and we are closed on sundays and public holidays.',
    audio: { pcm: toneInt16(600, 16000, 6, 8000), sampleRate: 16000 },
  };

  it('on: after clear no stale audio is heard and the transcript shows the truncated answer', async () => {
    harness = await startHarness({ inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', mode: 'scripted', sendStaleAudioAfterInterrupt: 4 });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    void conv.say(longAnswer);
    const stream = call.stream!;
    // Interrupt once the caller has been sent 1.5 s of the answer (the pacer sends just ahead of play).
    await stream.recorder.waitFor(() => stream.recorder.counts().mediaBytes >= 1500 * 8, 15_000);
    conv.interrupt();
    const clear = await stream.recorder.waitFor((r) => r.event === 'clear', 5000);
    const sentMsAtClear = stream.recorder.counts().mediaBytes / 8;
    // The 4 stale chunks after the interruption are the only audio that could leak: wait until the
    // bridge has dropped them all, then hang up. The stream closes only after the bridge's close
    // frame, which follows on the same socket whatever the bridge sent before it, leaked or not.
    const staleDropped = async () =>
      (await harness!.bridge.metrics.droppedFrames.get()).values.find((v) => v.labels.cause === 'stale-after-interruption')?.value;
    await waitFor(async () => (await staleDropped()) === 4, { what: 'stale audio dropped' });
    await call.hangup();
    expect(stream.recorder.received.filter((r) => r.event === 'media' && r.atMs > clear.atMs)).toEqual([]);
    // On the stream's own timeline (clear.atMs counts from the stream's origin, not the call's).
    const heard = stream.heardPcm();
    expect(audibleFrames(heard, 300, Math.ceil(clear.atMs * 8) + 320)).toBe(0);
    const session = await ended;
    const turn = session.transcript.toJSON().find((t) => t.role === 'agent')!;
    expect(turn.interrupted).toBe(true);
    // Heard: what was sent before the clear, less what was still ahead in the caller's queue.
    expect(turn.heardMs).toBeGreaterThan(1000);
    expect(turn.heardMs).toBeLessThanOrEqual(sentMsAtClear);
    expect(turn.text.length).toBeGreaterThan(0);
    expect(longAnswer.text.startsWith(turn.text)).toBe(true);
    // Cut in proportion to heard / sent-so-far: how far the agent had sent ahead of playback depends
    // on the machine's load, so only "truncated" is certain, not by how much.
    expect(turn.text.length).toBeLessThan(longAnswer.text.length);
  });

  it('the agent correction replaces the bridge estimate', async () => {
    harness = await startHarness({ mode: 'scripted' });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    void conv.say(longAnswer);
    // Interrupt mid-answer: once the caller has been sent 0.8 s of it.
    const stream = call.stream!;
    await stream.recorder.waitFor(() => stream.recorder.counts().mediaBytes >= 800 * 8, 15_000);
    conv.interrupt();
    const corrected = 'Our opening hours are nine to five';
    conv.sendAgentResponseCorrection(longAnswer.text, corrected);
    // The bridge applied the correction to the live call's transcript.
    const agentTurn = () => {
      const live = harness!.bridge.registry.list()[0]?.describe(true).transcript as Array<{ role: string; text: string }> | undefined;
      return live?.find((t) => t.role === 'agent');
    };
    await waitFor(() => agentTurn()?.text === corrected, { what: 'correction applied' });
    await call.hangup();
    const turn = (await ended).transcript.toJSON().find((t) => t.role === 'agent')!;
    expect(turn).toMatchObject({ text: corrected, interrupted: true });
  });

  it('off: the agent does not hear the caller over its answer, and interruptions do not cut it', async () => {
    harness = await startHarness(
      { inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', mode: 'scripted', speech: { speed: Infinity } },
      { BARGE_IN: 'false' },
    );
    // The caller talks (a loud tone) all the way through the agent's answer, and on after it
    // (long enough for a slow set-up on a busy machine).
    const { call, conv } = await placeCall(harness, { callerAudio: { pcm8k: toneInt16(300, 8000, 30, 10000) } });
    await bridgeForwarding(conv);
    const lag = eventLoopDelay();
    await conv.say(longAnswer); // all 6 s queued in the bridge at once
    const spokeAt = performance.now();
    // Interrupt while the answer plays: once the caller has heard a second of it.
    await waitFor(() => audibleFrames(call.heardPcm()) >= 50, { what: '1 s of the answer heard' });
    conv.interrupt();
    // The whole answer plays out (a clear would have come within a frame or two of the interruption).
    const clears = () => call.stream!.recorder.received.filter((r) => r.event === 'clear');
    await waitFor(() => clears().length > 0 || audibleFrames(call.heardPcm()) >= 295, { what: 'the whole answer heard' });
    expect(clears()).toEqual([]);
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(295);
    // While the answer played the agent heard line silence; once it finished, the caller again.
    // The bridge mutes from when it got the answer (after spokeAt) for the answer's 6 s; caller
    // audio it forwarded just before may reach the agent as late as our event loop let it.
    const { stalledMs } = lag.stop();
    const from = spokeAt + 300 + stalledMs;
    const until = spokeAt + 5500;
    const during = conv.userAudio.chunks.filter((c) => c.pcm && c.at > from && c.at < until);
    // At least half the 20 ms frames of the window, and never fewer than half a second's worth.
    expect(during.length).toBeGreaterThan(Math.max(25, (until - from) / 40));
    expect(during.every((c) => peak(c.pcm!) === 0)).toBe(true);
    await waitFor(() => conv.userAudio.chunks.some((c) => c.at > until && peak(c.pcm!) > 5000), { what: 'the caller heard again' });
    await call.hangup();
  });
});

describe('DTMF', () => {
  it('key presses reach the agent as contextual updates, and # hangs up when configured', async () => {
    harness = await startHarness({ mode: 'scripted' });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    call.stream!.sendDtmf('5');
    await conv.waitFor(() => conv.contextualUpdates.length === 1);
    expect(conv.contextualUpdates[0]).toContain('"5"');
    await call.hangup();
    await ended;
  });

  it('user_message mode sends the digit as text; a hangup action ends the call', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/bridge-agents-');
    writeFileSync(`${dir}/agents.json`, JSON.stringify({ defaults: { dtmf: { mode: 'user_message', actions: { '#': { type: 'hangup' } } } } }));
    harness = await startHarness({ mode: 'scripted' }, { AGENTS_FILE: `${dir}/agents.json` });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    call.stream!.sendDtmf('7');
    await conv.waitFor(() => conv.userMessages.length === 1);
    expect(conv.userMessages).toEqual(['7']);
    call.stream!.sendDtmf('#');
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    expect(session.endDetail).toContain('#');
    await call.ended;
  });
});
