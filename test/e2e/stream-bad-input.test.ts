import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CallSession } from '../../src/call/call-session.js';
import { simulateInboundCall } from '../../tools/twilio-standin/call-simulator.js';
import { signUpgrade } from '../../tools/twilio-standin/webhook-signer.js';
import { ACCOUNT_SID, AUTH_TOKEN, leakedHandles, liveHandles, startHarness, type Harness } from '../support/bridge-harness.js';

const SILENCE = Buffer.alloc(160, 0xff).toString('base64');

async function rejectedCount(h: Harness, reason: string): Promise<number> {
  const m = await h.bridge.metrics.rejected.get();
  return m.values.filter((v) => v.labels.reason === reason).reduce((a, v) => a + v.value, 0);
}

async function startCall(h: Harness) {
  const conv = new Promise<import('../../tools/reference-agent/reference-agent.js').Conversation>((r) => h.agent.once('conversation', r));
  const sim = await simulateInboundCall({
    bridgeUrl: h.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222',
  });
  return { sim, conv: await conv };
}

describe('bad input on a media stream', () => {
  it('garbage is counted and ignored, the call goes on, and nothing leaks afterwards', async () => {
    const baseline = liveHandles();
    const h = await startHarness({ inputFormat: 'ulaw_8000', outputFormat: 'ulaw_8000', mode: 'echo' });
    const { sim, conv } = await startCall(h);
    await conv.waitFor(() => conv.userAudio.durationMs > 200);
    const stream = sim.stream!;
    stream.sendRaw('{"event":"media", this is not json');
    stream.sendRaw('{"event":"surprise","data":1}');
    stream.sendRaw(`{"event":"media","streamSid":"${stream.streamSid}","media":{"track":"inbound","payload":"%%%not base64%%%"}}`);
    stream.sendRaw(`{"event":"media","streamSid":"${stream.streamSid}","media":{"track":"inbound","payload":"${Buffer.alloc(161, 0x7f).toString('base64')}"}}`);
    stream.sendRaw(`{"event":"start","streamSid":"${stream.streamSid}","start":{}}`);
    stream.sendRaw('[]');
    // A flood: 2,000 frames at once, 40 s of audio in a few ms.
    for (let i = 0; i < 2000; i++) stream.sendRaw(`{"event":"media","streamSid":"${stream.streamSid}","media":{"track":"inbound","payload":"${SILENCE}"}}`);
    // A key press after it all, on the same socket: once the agent hears of it, the bridge has read
    // everything before it, and the agent has received what the bridge forwarded before it.
    stream.sendDtmf('5');
    await conv.waitFor(() => conv.contextualUpdates.length === 1, 15_000);
    const before = conv.userAudio.durationMs;
    // Real-time audio keeps reaching the agent after the garbage (a closed conversation fails this wait).
    await conv.waitFor(() => conv.userAudio.durationMs >= before + 100, 15_000);

    expect(await rejectedCount(h, 'malformed-json')).toBe(1);
    expect(await rejectedCount(h, 'unknown-event')).toBe(1);
    expect(await rejectedCount(h, 'invalid-payload')).toBe(1);
    expect(await rejectedCount(h, 'invalid-message')).toBeGreaterThanOrEqual(2);
    const flood = (await h.bridge.metrics.droppedFrames.get()).values.find((v) => v.labels.cause === 'flood');
    expect(flood?.value).toBeGreaterThan(1500);
    // Still alive: real-time audio keeps reaching the agent after the garbage.
    expect(conv.isOpen).toBe(true);
    expect(conv.userAudio.durationMs).toBeGreaterThan(before);
    expect((await fetch(h.bridgeUrl + '/healthz')).status).toBe(200);

    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    await sim.hangup();
    expect((await ended).endReason).toBe('caller-hangup');
    await h.close();
    expect(await leakedHandles(baseline)).toEqual({});
  });

  it('an oversized message closes that stream with 1009 and ends the call with a reason', async () => {
    const h = await startHarness({ inputFormat: 'ulaw_8000', outputFormat: 'ulaw_8000', mode: 'echo' });
    try {
      const { sim, conv } = await startCall(h);
      const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
      sim.stream!.sendRaw(`{"event":"media","media":{"payload":"${'A'.repeat(200_000)}"}}`);
      const closed = await sim.stream!.closed;
      expect(closed.code).toBe(1009);
      const session = await ended;
      expect(session.endReason).toBe('error');
      expect((await conv.closed).code).toBe(1000);
      expect(h.bridge.registry.size).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('media before start is ignored and a socket that never starts is closed', async () => {
    const h = await startHarness({}, { START_TIMEOUT_MS: '500' });
    try {
      const url = h.bridgeUrl.replace('http', 'ws') + '/twilio/media';
      const ws = new WebSocket(url, { headers: { 'X-Twilio-Signature': signUpgrade(AUTH_TOKEN, url) } });
      await new Promise((r) => ws.once('open', r));
      for (let i = 0; i < 10; i++) ws.send(`{"event":"media","media":{"track":"inbound","payload":"${SILENCE}"}}`);
      const [code] = await new Promise<[number]>((r) => ws.once('close', (c) => r([c])));
      expect(code).toBe(1008);
      expect(await rejectedCount(h, 'before-start')).toBe(10);
      expect(await rejectedCount(h, 'start-timeout')).toBe(1);
      expect(h.agent.connectionCount).toBe(0);
    } finally {
      await h.close();
    }
  });
});
