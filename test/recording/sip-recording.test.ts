/**
 * Recordings of SIP calls (fake Srf for signaling, real UDP RTP, espeak-ng
 * speech). The simulated phone keeps what it sent and what it received; the
 * WAV's left channel must be what it sent and the right what it heard (the
 * packets it received, placed by their RTP timestamps), both on one
 * timeline: the right channel is judged at the lag the left one is found at.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { API_TOKEN, type Harness } from '../support/bridge-harness.js';
import { drained, eventLoopDelay, waitFor } from '../support/wait.js';
import { inviteFrom, sdpOffer, type FakeDialog, type FakeSrf } from '../sip/fake-srf.js';
import { channels, maxAbs } from './compare.js';
import { judge } from './judge.js';
import { RtpPhone, type PhoneCodec } from './rtp-phone.js';
import { CALLED, g722, pcmu, readWithFfmpeg, sipHarness } from './sip-support.js';

let harness: Harness | undefined;
let phone: RtpPhone | undefined;
afterEach(async () => {
  await phone?.stop();
  phone?.close();
  phone = undefined;
  await harness?.close();
  harness = undefined;
});

/** Places an inbound call from the phone; resolves once the agent's conversation has started. */
async function call(h: Harness, srf: FakeSrf, codec: PhoneCodec, callerSpeech: Int16Array) {
  phone = new RtpPhone(codec);
  const port = await phone.open();
  const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
  const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
  let offer = sdpOffer({ address: '127.0.0.1', port, pts: codec.payloadType === 9 ? '9 0 101' : '0 101' });
  if (codec.payloadType === 9) offer = offer.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000');
  const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: offer }));
  await waitFor(() => res.finalResponseSent, { what: 'final response to the INVITE' });
  expect(res.last!.status).toBe(200);
  (srf.uasDialogs[0] as FakeDialog).ack();
  phone.start(callerSpeech, Number(/m=audio (\d+)/.exec(res.last!.body ?? '')?.[1]));
  const c = await conv;
  await c.started;
  return { c, ended, p: phone };
}

/** Waits until the phone has received `n` more packets (the bridge sends one every 20 ms, silence included). */
async function packetsLater(p: RtpPhone, n: number): Promise<void> {
  const target = p.received.length + n;
  await waitFor(() => p.received.length >= target, { what: `${n} more packets`, timeoutMs: 10_000 + n * 100 });
}

/** Packets with sound in them (digital silence in the agent's speech counts as silence), in ms. */
const audioMs = (p: RtpPhone): number => p.received.filter((r) => !r.payload.every((b) => b === p.codec.silence)).length * 20;

async function recording(h: Harness, id: string): Promise<Uint8Array> {
  const res = await fetch(`${h.bridgeUrl}/calls/${encodeURIComponent(id)}/recording`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe.skipIf(!haveAudioTools())('SIP recordings', () => {
  it('PCMU: left = what the phone sent, right = what it received by RTP time, cut at barge-in', { timeout: 120_000 }, async () => {
    const { harness: h, srf } = await sipHarness({ mode: 'scripted', outputFormat: 'pcm_16000' }, '46000-46199');
    harness = h;
    const callerSpeech = speechWav('Hello, I would like to check the status of my order please.', { rate: 8000 });
    const agentSpeech = speechWav('Thank you for calling. Let me look that up for you, one moment. I can see your order here and it is on its way to you now.', { rate: 16000 });
    const loop = eventLoopDelay();
    const { c, ended, p } = await call(h, srf, pcmu, callerSpeech);
    const live = () => h.bridge.registry.list()[0]!;
    await c.say({ text: 'first answer', audio: { pcm: agentSpeech.subarray(0, 16000 * 2), sampleRate: 16000 } });
    await waitFor(() => audioMs(p) > 0, { what: 'audio at the phone', timeoutMs: 20_000 });
    await drained(() => live().leg.unplayedMs(), { what: 'the first answer sent' });
    await packetsLater(p, 3);
    const before = audioMs(p);
    void c.say({ text: 'long answer', audio: { pcm: agentSpeech, sampleRate: 16000 } });
    await waitFor(() => audioMs(p) > before, { what: 'the long answer received', timeoutMs: 20_000 });
    await packetsLater(p, 75); // 1.5 s of it
    c.interrupt(); // barge-in: the bridge drops what it has not sent
    await waitFor(() => live().leg.unplayedMs() === 0, { what: 'the queue cleared' });
    const target = p.sentPackets + 25; // half a second more of the call, so a wrongly kept tail would show
    await waitFor(() => p.sentPackets >= target, { what: '500 ms of call time', timeoutMs: 20_000 });
    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    const session = await ended;
    await p.stop();
    const stalls = loop.stop();

    const wav = await recording(h, session.id);
    const { left, right } = channels(wav, 8000);
    const { lag, shifted, heard, runs, tolerance } = judge(p, callerSpeech, left, right, stalls.maxMs, 'SIP PCMU');
    // Cut at barge-in: most of the long answer had reached the bridge (the agent speaks faster than
    // real time), but after the last audio the phone received the right channel is silent to the end.
    expect(audioMs(p) - before).toBeLessThan(agentSpeech.length / 16 - 2000);
    const cutAt = runs[runs.length - 1]![1];
    expect(maxAbs(heard, cutAt)).toBe(0);
    expect(maxAbs(shifted, cutAt + tolerance), `right channel after the cut (${cutAt / 8} ms, lag ${lag})`).toBe(0);
  });

  it('G.722: a 16 kHz stereo WAV (ffprobe), left and right as the phone sent and received them (ffmpeg decodes)', { timeout: 120_000 }, async () => {
    const { harness: h, srf } = await sipHarness({ mode: 'scripted', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, '46200-46399');
    harness = h;
    const callerSpeech = speechWav('Hello, I am calling about the wideband invoice from last week.', { rate: 16000 });
    const agentSpeech = speechWav('Thank you. The wideband invoice was sent on Tuesday and is paid.', { rate: 16000 });
    const loop = eventLoopDelay();
    const { c, ended, p } = await call(h, srf, g722, callerSpeech);
    const live = () => h.bridge.registry.list()[0]!;
    expect(live().leg.codec).toBe('g722');
    await c.say({ text: 'answer', audio: { pcm: agentSpeech, sampleRate: 16000 } });
    await waitFor(() => audioMs(p) > 0, { what: 'audio at the phone', timeoutMs: 20_000 });
    await drained(() => live().leg.unplayedMs(), { what: 'the answer sent' });
    await packetsLater(p, 3);
    const target = Math.max(p.sentPackets + 25, Math.ceil(callerSpeech.length / 320) + 10);
    await waitFor(() => p.sentPackets >= target, { what: 'the caller speech sent', timeoutMs: 30_000 });
    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    const session = await ended;
    await p.stop();
    const stalls = loop.stop();

    const wav = await recording(h, session.id);
    const read = readWithFfmpeg(wav);
    console.info(`G.722 recording per ffprobe: ${read.codec}, ${read.rate} Hz, ${read.channels} channels, ${read.durationMs.toFixed(0)} ms`);
    expect([read.codec, read.rate, read.channels]).toEqual(['pcm_s16le', 16000, 2]);
    const ours = channels(wav, 16000);
    expect(read.left).toEqual(ours.left);
    judge(p, callerSpeech, read.left, read.right, stalls.maxMs, 'SIP G.722');
  });
});
