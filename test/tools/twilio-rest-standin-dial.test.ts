/**
 * Transfer to a human operator through the stand-in: an inbound call streams to the (fake)
 * bridge, the bridge redirects it with REST `calls(sid).update({ twiml: <Dial> })`, the stand-in
 * rings the operator, runs the whisper on the operator's leg (Say + Gather), and follows the
 * `<Dial action>` TwiML: hang up after a completed transfer, or back to the agent otherwise.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioRestClient, type TwilioRestClient } from '../../src/twilio/rest-client.js';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import type { SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import { startTwilioStandin, type TwilioStandin } from '../../tools/twilio-standin/rest-server.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';
import { FakeBridge, type BridgeSocket } from './twilio-standin-fake-bridge.js';

const TOKEN = 'dial-standin-token-0123456789abcdef';
const ACCOUNT = 'AC' + 'abcdef0123456789'.repeat(2);
const CALLER = '+15551230001';
const OUR_NUMBER = '+15559870002';
const CALLER_ID = '+15550001111';
const OP_ACCEPTS = '+15557000001';
const OP_DECLINES = '+15557000002';
const OP_SILENT = '+15557000003';
const OP_NO_ANSWER = '+15557000004';
const OP_BUSY = '+15557000005';
const OP_FAILS = '+15557000006';
const WHISPER_TEXT = 'Transfer from the assistant about an order. Press 1 to accept, 2 to decline.';

let bridge: FakeBridge;
let standin: TwilioStandin;
let client: TwilioRestClient;
const calls: SimulatedCall[] = [];

beforeEach(async () => {
  bridge = await new FakeBridge(TOKEN).listen();
  standin = await startTwilioStandin({
    accountSid: ACCOUNT,
    authToken: TOKEN,
    // 1 Twilio second = 20 ms: <Dial timeout="30"> rings 600 ms, <Gather timeout="5"> waits 100 ms.
    timeScale: 0.02,
    farEnds: farEndsByNumber({
      [OP_ACCEPTS]: { kind: 'human', ringMs: 50, keys: '1', hangupAfterMs: 300 },
      [OP_DECLINES]: { kind: 'human', ringMs: 50, keys: '2' },
      [OP_SILENT]: { kind: 'human', ringMs: 50 },
      [OP_NO_ANSWER]: { kind: 'no-answer' },
      [OP_BUSY]: { kind: 'busy', ringMs: 50 },
      [OP_FAILS]: { kind: 'failed' },
    }),
  });
  client = createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, apiUrl: standin.url });
  const stream = `<Response><Connect><Stream url="${bridge.mediaUrl}"/></Connect><Hangup/></Response>`;
  bridge.twiml.set('/twilio/voice', () => stream);
  bridge.twiml.set(
    '/whisper',
    () => `<Response><Gather numDigits="1" action="/whisper-answer" timeout="5"><Say>${WHISPER_TEXT}</Say></Gather><Hangup/></Response>`,
  );
  bridge.twiml.set('/whisper-answer', (p) => (p.Digits === '1' ? '<Response/>' : '<Response><Say>Declined</Say><Hangup/></Response>'));
  // After the Dial: done if the operator took the call, back to the agent otherwise.
  bridge.twiml.set('/dial-result', (p) => (p.DialCallStatus === 'completed' ? '<Response><Hangup/></Response>' : stream));
});

afterEach(async () => {
  await Promise.all(calls.splice(0).map((c) => c.hangup()));
  await standin.close();
  await bridge.close();
});

function dialTwiml(operator: string, withWhisper = true): string {
  const number = withWhisper ? `<Number url="${bridge.baseUrl}/whisper">${operator}</Number>` : `<Number>${operator}</Number>`;
  return `<Response><Dial action="${bridge.baseUrl}/dial-result" timeout="30" answerOnBridge="true" callerId="${CALLER_ID}">${number}</Dial></Response>`;
}

/** An inbound call talking to the agent; the bridge (this test) transfers it by REST update. */
async function transferTo(operator: string, withWhisper = true): Promise<{ call: SimulatedCall; first: BridgeSocket }> {
  const sockets: BridgeSocket[] = [];
  bridge.onStream = (s) => sockets.push(s);
  const call = await standin.placeInboundCall({ bridgeUrl: bridge.baseUrl, from: CALLER, to: OUR_NUMBER });
  calls.push(call);
  const first = sockets[0]!;
  await first.next('start');
  await client.calls(call.callSid).update({ twiml: dialTwiml(operator, withWhisper) });
  await first.next('stop');
  return { call, first };
}

const requestsTo = (path: string) => bridge.requests.filter((r) => r.path === path);

describe('<Dial> with operators', () => {
  it('operator accepts in the whisper: legs bridged, action gets completed, the call ends with <Hangup/>', async () => {
    const { call } = await transferTo(OP_ACCEPTS);
    const ended = await call.ended;
    expect(ended.how).toBe('hangup');
    const [dial] = call.call.dials;
    expect(dial).toMatchObject({ timeoutSec: 30, answerOnBridge: true, callerId: CALLER_ID });
    const leg = dial!.legs[0]!;
    expect(leg).toMatchObject({ to: OP_ACCEPTS, from: CALLER_ID, outcome: 'bridged', status: 'completed' });
    expect(leg.whisper).toMatchObject({ result: 'accepted', heard: [WHISPER_TEXT], digits: ['1'] });
    // The operator was bridged until hanging up after 300 ms.
    expect(leg.endedMs! - leg.bridgedMs!).toBeGreaterThanOrEqual(280);

    const [whisperReq] = requestsTo('/whisper');
    expect(whisperReq).toMatchObject({
      signatureValid: true,
      params: { CallSid: leg.callSid, ParentCallSid: call.callSid, Direction: 'outbound-dial', To: OP_ACCEPTS, From: CALLER_ID, CallStatus: 'in-progress' },
    });
    expect(requestsTo('/whisper-answer')[0]).toMatchObject({ signatureValid: true, params: { Digits: '1', CallSid: leg.callSid } });
    const [result] = requestsTo('/dial-result');
    // Whole seconds the operator talked: 0 for its 300 ms, 1 when a busy machine stretched it past 0.5 s.
    const talked = String(Math.round((leg.endedMs! - leg.answeredMs!) / 1000));
    expect(result).toMatchObject({ signatureValid: true, params: { CallSid: call.callSid, DialCallStatus: 'completed', DialCallSid: leg.callSid, DialCallDuration: talked } });
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Update', 'Dial', 'Hangup']);
    expect(standin.calls.get(call.callSid)!.status).toBe('completed');
  });

  it.each([
    ['declines with 2', OP_DECLINES, 'no-answer', ['2']],
    ['presses nothing (Gather times out, <Hangup/>)', OP_SILENT, 'no-answer', ['']],
  ])('operator %s: the caller is back with the agent within 3 s', async (_name, operator, status, digits) => {
    const lag = eventLoopDelay();
    const { call } = await transferTo(operator);
    const back = await waitFor(() => call.streams[1], { everyMs: 5, what: 'a second stream' });
    await back.ready;
    const leg = call.call.dials[0]!.legs[0]!;
    expect(leg).toMatchObject({ outcome: 'declined' });
    expect(leg.whisper).toMatchObject({ result: 'declined', heard: expect.arrayContaining([WHISPER_TEXT]), digits });
    expect(requestsTo('/dial-result')[0]!.params).toMatchObject({ DialCallStatus: status, DialCallSid: leg.callSid });
    const backMs = back.originMs! - call.call.startMs;
    // The action URL's fetch and a new stream, all on loopback: well within 3 s, later only by as much
    // as this process's event loop stalled.
    expect(backMs - leg.endedMs!).toBeLessThan(3000 + lag.stop().stalledMs);
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Update', 'Dial', 'Connect']);
  });

  it.each([
    [OP_NO_ANSWER, 'no-answer'],
    [OP_BUSY, 'busy'],
    [OP_FAILS, 'failed'],
  ])('operator %s: DialCallStatus %s and back to the agent', async (operator, status) => {
    const { call } = await transferTo(operator);
    await expect.poll(() => call.streams.length, { timeout: 15_000 }).toBe(2);
    const leg = call.call.dials[0]!.legs[0]!;
    expect(leg).toMatchObject({ status, outcome: status });
    expect(leg.whisper).toBeUndefined();
    expect(requestsTo('/whisper')).toEqual([]);
    expect(requestsTo('/dial-result')[0]!.params).toMatchObject({ DialCallStatus: status, DialCallDuration: '0' });
    if (status === 'no-answer') {
      // Rang for <Dial timeout="30"> scaled to 600 ms.
      expect(leg.endedMs! - leg.initiatedMs).toBeGreaterThanOrEqual(590);
    }
  });

  it('without a whisper the answering operator is bridged at once', async () => {
    const { call } = await transferTo(OP_SILENT, false);
    await expect.poll(() => call.call.dials[0]?.legs[0]?.outcome, { timeout: 15_000 }).toBe('bridged');
    // The operator never hangs up: the caller hanging up ends the Dial and the call.
    const ended = await call.hangup();
    expect(ended.how).toBe('caller-hangup');
    expect(call.call.dials[0]!.legs[0]!.status).toBe('completed');
    expect(requestsTo('/dial-result')).toEqual([]);
  });

  it('REST update during the Dial takes the caller out of it (operator leg cancelled)', async () => {
    const { call } = await transferTo(OP_NO_ANSWER);
    await expect.poll(() => call.call.dials[0]?.legs[0]?.status, { timeout: 15_000 }).toBe('ringing');
    await client.calls(call.callSid).update({ twiml: '<Response><Say>Sorry, nobody is free.</Say><Hangup/></Response>' });
    expect((await call.ended).how).toBe('hangup');
    expect(call.call.dials[0]!.legs[0]!.status).toBe('canceled');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Update', 'Dial', 'Update', 'Say', 'Hangup']);
  });
});
