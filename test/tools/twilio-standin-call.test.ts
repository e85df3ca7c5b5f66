import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulateInboundCall, type InboundCallOptions, type SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import { isSid } from '../../tools/twilio-standin/ids.js';
import { FakeBridge, level, sendMark, sendMedia, ulawTone, type BridgeSocket } from './twilio-standin-fake-bridge.js';

const TOKEN = 'call-test-token-abcdef0123456789';
const FROM = '+15551230001';
const TO = '+15559870002';

let bridge: FakeBridge;
const calls: SimulatedCall[] = [];

beforeEach(async () => {
  bridge = await new FakeBridge(TOKEN).listen();
});

afterEach(async () => {
  await Promise.all(calls.splice(0).map((c) => c.hangup()));
  await bridge.close();
});

async function place(opts: Partial<InboundCallOptions> = {}): Promise<SimulatedCall> {
  const call = await simulateInboundCall({ bridgeUrl: bridge.baseUrl, authToken: TOKEN, from: FROM, to: TO, ...opts });
  calls.push(call);
  return call;
}

/** TwiML the bridge would answer with: a stream with parameters, then `after`. */
function streamTwiml(opts: { action?: string; after?: (r: twilio.twiml.VoiceResponse) => void } = {}): string {
  const r = new twilio.twiml.VoiceResponse();
  const s = r.connect(opts.action ? { action: opts.action } : {}).stream({ url: bridge.mediaUrl });
  s.parameter({ name: 'sessionId', value: 'sess-42' });
  s.parameter({ name: 'from', value: FROM });
  opts.after?.(r);
  return r.toString();
}

/** The bridge plays 200 ms of audio after `start`, then closes the socket once the caller has played it (mark echoed). */
function bridgePlaysThenCloses(): void {
  bridge.onStream = (s: BridgeSocket) => {
    void s.next('start').then(async (start) => {
      sendMedia(s, start.streamSid, ulawTone(200));
      sendMark(s, start.streamSid, 'played');
      await s.next('mark');
      s.ws.close(1000, 'done');
    });
  };
}

describe('inbound call', () => {
  it('posts a signed voice webhook with the Twilio fields, streams, and runs <Hangup/> after the bridge closes', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ after: (r) => r.hangup() }));
    bridgePlaysThenCloses();
    const call = await place({ extraParams: { CallerName: 'Ada' }, callerAudio: { ulaw: new Uint8Array(1600).fill(7) } });
    expect(call.stream?.isOpen).toBe(true);
    const ended = await call.ended;

    expect(ended.how).toBe('hangup');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Hangup']);
    expect(call.twimlSteps[0]!.detail).toMatchObject({ closedBy: 'bridge', closeCode: 1000 });
    const [req] = bridge.requests;
    expect(req).toMatchObject({ path: '/twilio/voice', signatureValid: true });
    expect(req!.params).toEqual({
      CallSid: call.callSid,
      AccountSid: call.accountSid,
      From: FROM,
      To: TO,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
      Caller: FROM,
      Called: TO,
      CallerName: 'Ada',
    });
    expect(isSid(call.callSid, 'CA')).toBe(true);
    expect(isSid(call.accountSid, 'AC')).toBe(true);
    expect(bridge.upgrades).toEqual([{ signatureValid: true, accepted: true }]);
    const start = bridge.sockets[0]!.messages.find((m) => m.msg.event === 'start')!.msg;
    expect(start.start).toMatchObject({ callSid: call.callSid, customParameters: { sessionId: 'sess-42', from: FROM } });
    const media = await bridge.sockets[0]!.next('media');
    expect(Buffer.from(media.media.payload, 'base64').every((b: number) => b === 7)).toBe(true);
    // The 200 ms the bridge played is in the call-level recording, right after the stream opened.
    const heard = call.heardPcm();
    const played = call.stream!.recorder.received.find((r) => r.event === 'media') as { playStartMs: number };
    const offset = call.stream!.originMs! - call.call.startMs + played.playStartMs;
    expect(level(heard, 0, offset - 1)).toBe(0);
    expect(level(heard, offset + 1, offset + 199)).toBeGreaterThan(30_000);
    expect(level(heard, offset + 201, heard.length / 8)).toBe(0);
  });

  it('reports a rejected webhook (wrong auth token) without opening a stream', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml());
    const call = await place({ authToken: 'wrong-token' });
    const ended = await call.ended;
    expect(ended).toMatchObject({ how: 'rejected', status: 403, twilioError: 11200 });
    expect(call.stream).toBeUndefined();
    expect(bridge.requests[0]!.signatureValid).toBe(false);
    expect(bridge.upgrades).toEqual([]);
  });

  it('follows <Connect action>: signed in-progress POST, then Say, Redirect, Pause, Hangup', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ action: '/twilio/after', after: (r) => r.say('never reached') }));
    bridge.twiml.set('/twilio/after', () => `<Response><Say voice="alice">Goodbye &amp; thanks</Say><Redirect>/twilio/final</Redirect></Response>`);
    bridge.twiml.set('/twilio/final', () => `<Response><Pause length="2"/><Hangup/></Response>`);
    bridgePlaysThenCloses();
    const call = await place();
    const ended = await call.ended;
    expect(ended.how).toBe('hangup');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Say', 'Redirect', 'Pause', 'Hangup']);
    expect(call.twimlSteps[1]!.detail).toMatchObject({ text: 'Goodbye & thanks', voice: 'alice' });
    expect(bridge.requests.map((r) => [r.path, r.signatureValid, r.params.CallStatus])).toEqual([
      ['/twilio/voice', true, 'ringing'],
      ['/twilio/after', true, 'in-progress'],
      ['/twilio/final', true, 'in-progress'],
    ]);
    expect(bridge.requests[1]!.params.CallSid).toBe(call.callSid);
  });

  it('opens a second stream when the follow-up TwiML connects again', async () => {
    let n = 0;
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ action: '/twilio/again' }));
    bridge.twiml.set('/twilio/again', () => (n++ === 0 ? streamTwiml({ action: '/twilio/again' }) : '<Response><Hangup/></Response>'));
    bridgePlaysThenCloses();
    const call = await place();
    expect((await call.ended).how).toBe('hangup');
    expect(call.streams).toHaveLength(2);
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Connect', 'Hangup']);
    expect(new Set(call.streams.map((s) => s.streamSid)).size).toBe(2);
  });

  it('the caller hanging up sends stop on the stream and ends as caller-hangup', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ after: (r) => r.hangup() }));
    const call = await place({ hangupAfterMs: 300 });
    const ended = await call.ended;
    expect(ended.how).toBe('caller-hangup');
    expect(ended.atMs).toBeGreaterThan(280);
    const stop = await bridge.sockets[0]!.next('stop');
    expect(stop.stop).toEqual({ accountSid: call.accountSid, callSid: call.callSid });
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect']);
    expect(call.twimlSteps[0]!.detail).toMatchObject({ closedBy: 'caller' });
  });

  it('a live update replaces the running stream (stop sent) with new TwiML', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ after: (r) => r.say('not this') }));
    const call = await place();
    await bridge.sockets[0]!.next('start');
    call.update({ twiml: '<Response><Say>Transferring you</Say><Hangup/></Response>' });
    expect((await call.ended).how).toBe('hangup');
    await bridge.sockets[0]!.next('stop');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Update', 'Say', 'Hangup']);
  });

  it('ends at the end of the document and records unknown verbs', async () => {
    bridge.twiml.set('/twilio/voice', () => '<Response><Enqueue>support</Enqueue><Say>Bye</Say></Response>');
    const call = await place();
    const ended = await call.ended;
    expect(ended.how).toBe('end-of-twiml');
    expect(call.twimlSteps.map((s) => [s.verb, s.detail.name])).toEqual([['Unknown', 'Enqueue'], ['Say', undefined]]);
  });

  it('reports malformed TwiML (12100), a non-XML content type (12300) and a failing action URL (11200)', async () => {
    bridge.twiml.set('/twilio/voice', () => '<Response><Say>unclosed</Response>');
    expect(await (await place()).ended).toMatchObject({ how: 'error', twilioError: 12100 });
    bridge.twiml.set('/twilio/voice', () => ({ contentType: 'application/json', body: '{}' }));
    expect(await (await place()).ended).toMatchObject({ how: 'error', twilioError: 12300 });
    bridge.twiml.set('/twilio/voice', () => '<Response><Redirect>/nowhere</Redirect></Response>');
    expect(await (await place()).ended).toMatchObject({ how: 'error', twilioError: 11200, status: 404 });
  });

  it('a refused stream upgrade is recorded and the call continues after </Connect>', async () => {
    bridge.twiml.set('/twilio/voice', () => streamTwiml({ after: (r) => r.hangup() }));
    const call = await place({ streamSignature: 'wrong' });
    const ended = await call.ended;
    expect(ended.how).toBe('hangup');
    expect(call.twimlSteps[0]!.detail).toMatchObject({ closedBy: 'rejected' });
    expect(bridge.upgrades).toEqual([{ signatureValid: false, accepted: false }]);
  });

  it('sends signed stream and call status callbacks before reporting the end', async () => {
    bridge.twiml.set('/twilio/voice', () => {
      const r = new twilio.twiml.VoiceResponse();
      r.connect().stream({ url: bridge.mediaUrl, name: 'agent', statusCallback: '/twilio/stream-status' });
      return r.toString();
    });
    bridge.twiml.set('/twilio/stream-status', () => '');
    bridge.twiml.set('/twilio/status', () => '');
    bridgePlaysThenCloses();
    const call = await place({ statusCallback: `${bridge.baseUrl}/twilio/status` });
    expect((await call.ended).how).toBe('end-of-twiml');
    const byPath = (p: string) => bridge.requests.filter((r) => r.path === p);
    expect(byPath('/twilio/stream-status').map((r) => [r.signatureValid, r.params.StreamEvent, r.params.StreamName])).toEqual([
      [true, 'stream-started', 'agent'],
      [true, 'stream-stopped', 'agent'],
    ]);
    expect(byPath('/twilio/stream-status')[0]!.params).toMatchObject({ CallSid: call.callSid, StreamSid: call.stream!.streamSid });
    const [status] = byPath('/twilio/status');
    expect(status).toMatchObject({ signatureValid: true, params: { CallStatus: 'completed', CallSid: call.callSid } });
    expect(Number(status!.params.CallDuration)).toBeGreaterThanOrEqual(0);
  });
});
