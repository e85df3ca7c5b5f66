/**
 * The Twilio REST stand-in driven by the official twilio client through the bridge's
 * createTwilioRestClient (TWILIO_API_URL), against a fake bridge that validates every
 * webhook signature with twilio-node's validateRequest.
 */
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioRestClient, RebasingRequestClient, rebaseTwilioUri, type TwilioRestClient } from '../../src/twilio/rest-client.js';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { isSid } from '../../tools/twilio-standin/ids.js';
import { startTwilioStandin, type TwilioStandin, type TwilioStandinOptions } from '../../tools/twilio-standin/rest-server.js';
import { FakeBridge, type BridgeSocket } from './twilio-standin-fake-bridge.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const TOKEN = 'rest-standin-token-0123456789abcdef';
const ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
const FROM = '+15550009999';
const HUMAN = '+15550000001';
const BUSY = '+15550000002';
const NO_ANSWER = '+15550000003';
const FAILED = '+15550000004';
const MACHINE = '+15550000005';
const LEAVES = '+15550000006';

const farEnds = farEndsByNumber({
  [HUMAN]: { kind: 'human', ringMs: 30 },
  [BUSY]: { kind: 'busy', ringMs: 20 },
  [NO_ANSWER]: { kind: 'no-answer' },
  [FAILED]: { kind: 'failed' },
  [MACHINE]: { kind: 'machine', ringMs: 20, greetingMs: 300 },
  [LEAVES]: { kind: 'human', ringMs: 10, hangupAfterMs: 300 },
});

let bridge: FakeBridge;
let standin: TwilioStandin | undefined;
let client: TwilioRestClient;

beforeEach(async () => {
  bridge = await new FakeBridge(TOKEN).listen();
  for (const path of ['/status', '/amd']) bridge.twiml.set(path, () => '');
});

afterEach(async () => {
  await standin?.close();
  standin = undefined;
  await bridge.close();
});

async function start(opts: Partial<TwilioStandinOptions> = {}): Promise<TwilioStandin> {
  standin = await startTwilioStandin({ accountSid: ACCOUNT, authToken: TOKEN, farEnds, timeScale: 0.01, ...opts });
  client = createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, apiUrl: standin.url });
  return standin;
}

/**
 * The bridge's TwiML: a stream, then <Hangup/>. The bridge closes the stream once the caller's first
 * frame is in, or (`hold`) never: then only the stand-in's close() ends it.
 */
function streamThenHangup(mode: 'close' | 'hold' = 'close'): void {
  bridge.twiml.set('/twilio/outbound', () => `<Response><Connect><Stream url="${bridge.mediaUrl}"/></Connect><Hangup/></Response>`);
  bridge.onStream = (s: BridgeSocket) => {
    if (mode === 'close') void s.next('media').then(() => s.ws.close(1000, 'done'));
  };
}

const requestsTo = (path: string) => bridge.requests.filter((r) => r.path === path);

describe('rest-client', () => {
  it('rebases Twilio URIs onto apiUrl, keeping path and query; a path on apiUrl is a prefix', () => {
    expect(rebaseTwilioUri('https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json?PageSize=2', 'http://127.0.0.1:9999')).toBe(
      'http://127.0.0.1:9999/2010-04-01/Accounts/AC1/Calls.json?PageSize=2',
    );
    expect(rebaseTwilioUri('https://api.sydney.au1.twilio.com/2010-04-01/Accounts.json', 'http://stand.in/twilio/')).toBe(
      'http://stand.in/twilio/2010-04-01/Accounts.json',
    );
  });

  it('leaves the client stock for the default URL and uses the rebasing httpClient otherwise', () => {
    const stock = createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN });
    expect(stock.httpClient).not.toBeInstanceOf(RebasingRequestClient);
    const local = createTwilioRestClient({ accountSid: ACCOUNT, authToken: TOKEN, apiUrl: 'http://127.0.0.1:1' });
    expect(local.httpClient).toBeInstanceOf(RebasingRequestClient);
  });
});

describe('REST stand-in: calls.create', () => {
  it('creates an outbound call, sends signed ordered status callbacks, runs the TwiML with a real stream', async () => {
    await start();
    streamThenHangup();
    const created = await client.calls.create({
      to: HUMAN,
      from: FROM,
      url: `${bridge.baseUrl}/twilio/outbound`,
      statusCallback: `${bridge.baseUrl}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(isSid(created.sid, 'CA')).toBe(true);
    expect(created).toMatchObject({ status: 'queued', direction: 'outbound-api', to: HUMAN, from: FROM, accountSid: ACCOUNT, answeredBy: null });
    expect(standin!.createdCount(HUMAN)).toBe(1);

    const call = standin!.calls.get(created.sid)!;
    await call.done;
    expect(call.engine?.result?.how).toBe('hangup');

    const [twimlReq] = requestsTo('/twilio/outbound');
    expect(twimlReq).toMatchObject({ signatureValid: true, params: { CallSid: created.sid, CallStatus: 'in-progress', Direction: 'outbound-api', To: HUMAN, From: FROM } });
    expect(bridge.sockets[0]!.messages.find((m) => m.msg.event === 'start')!.msg.start.callSid).toBe(created.sid);

    const cbs = requestsTo('/status');
    expect(cbs.every((r) => r.signatureValid)).toBe(true);
    expect(cbs.map((r) => r.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(cbs.map((r) => r.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    expect(cbs[3]!.params).toMatchObject({ CallSid: created.sid, AccountSid: ACCOUNT, Direction: 'outbound-api', CallDuration: expect.stringMatching(/^\d+$/) });
    expect(cbs[0]!.params.CallDuration).toBeUndefined();
    expect(cbs.every((r) => r.params.Timestamp)).toBe(true);

    const fetched = await client.calls(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, status: 'completed', direction: 'outbound-api' });
    expect(fetched.duration).toMatch(/^\d+$/);
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(call.history.map((h) => h.event)).toEqual(['queued', 'initiated', 'ringing', 'in-progress', 'twiml', 'ended', 'completed']);
  });

  it('sends only `completed` without StatusCallbackEvent, and runs inline Twiml', async () => {
    await start();
    const created = await client.calls.create({ to: HUMAN, from: FROM, twiml: '<Response><Say>Hello there</Say></Response>', statusCallback: `${bridge.baseUrl}/status` });
    await standin!.calls.get(created.sid)!.done;
    expect(standin!.calls.get(created.sid)!.engine!.twimlSteps.map((s) => s.verb)).toEqual(['Say']);
    expect(requestsTo('/status').map((r) => r.params.CallStatus)).toEqual(['completed']);
  });

  it.each([
    [BUSY, 'busy', ['initiated', 'ringing', 'busy']],
    [NO_ANSWER, 'no-answer', ['initiated', 'ringing', 'no-answer']],
    [FAILED, 'failed', ['initiated', 'failed']],
  ])('far end %s ends as %s without fetching TwiML', async (to, status, events) => {
    await start();
    const created = await client.calls.create({
      to,
      from: FROM,
      url: `${bridge.baseUrl}/twilio/outbound`,
      timeout: 5,
      statusCallback: `${bridge.baseUrl}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    await standin!.calls.get(created.sid)!.done;
    expect(requestsTo('/status').map((r) => r.params.CallStatus)).toEqual(events);
    expect(requestsTo('/twilio/outbound')).toEqual([]);
    expect((await client.calls(created.sid).fetch()).status).toBe(status);
  });

  it('rings for Timeout (scaled) before no-answer', async () => {
    await start({ timeScale: 0.02 });
    const lag = eventLoopDelay();
    const created = await client.calls.create({ to: NO_ANSWER, from: FROM, url: `${bridge.baseUrl}/twilio/outbound`, timeout: 10 });
    const call = standin!.calls.get(created.sid)!;
    await call.done;
    const { stalledMs } = lag.stop();
    const ringing = call.history.find((h) => h.event === 'ringing')!.atMs;
    const noAnswer = call.history.find((h) => h.event === 'no-answer')!.atMs;
    expect(noAnswer - ringing).toBeGreaterThanOrEqual(190);
    // 10 s × 0.02 = 200 ms of ringing; late only by as much as this process's event loop stalled.
    expect(noAnswer - ringing).toBeLessThan(800 + stalledMs);
  });

  it('the far end hanging up ends the call as completed with its duration', async () => {
    await start();
    bridge.twiml.set('/twilio/outbound', () => `<Response><Connect><Stream url="${bridge.mediaUrl}"/></Connect></Response>`);
    const created = await client.calls.create({ to: LEAVES, from: FROM, url: `${bridge.baseUrl}/twilio/outbound` });
    const call = standin!.calls.get(created.sid)!;
    await call.done;
    expect(call.engine!.result!.how).toBe('caller-hangup');
    expect(call.status).toBe('completed');
    expect(call.history.map((h) => h.event)).toContain('far-end-hangup');
  });
});

describe('REST stand-in: errors', () => {
  it('answers 401 (20003) to bad credentials', async () => {
    await start();
    const wrong = createTwilioRestClient({ accountSid: ACCOUNT, authToken: 'not-the-token', apiUrl: standin!.url });
    await expect(wrong.calls.create({ to: HUMAN, from: FROM, url: `${bridge.baseUrl}/x` })).rejects.toMatchObject({ status: 401, code: 20003 });
    const other = createTwilioRestClient({ accountSid: 'AC' + 'f'.repeat(32), authToken: TOKEN, apiUrl: standin!.url });
    await expect(other.calls('CA' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 401 });
    expect(standin!.createdCount()).toBe(0);
  });

  it('answers 404 (20404) for an unknown call, on fetch and update', async () => {
    await start();
    const sid = 'CA' + 'e'.repeat(32);
    await expect(client.calls(sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404, moreInfo: 'https://www.twilio.com/docs/errors/20404' });
    await expect(client.calls(sid).update({ status: 'completed' })).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it('validates create parameters like Twilio (400 with code, message, more_info)', async () => {
    await start();
    await expect(client.calls.create({ to: HUMAN, from: FROM })).rejects.toMatchObject({ status: 400, code: 21205 });
    await expect(client.calls.create({ to: 'not-a-number', from: FROM, url: `${bridge.baseUrl}/x` })).rejects.toMatchObject({ status: 400, code: 21211 });
    await expect(client.calls.create({ to: HUMAN, from: FROM, url: 'ftp://x/y' })).rejects.toMatchObject({ status: 400, code: 21205 });
    await expect(
      client.calls.create({ to: HUMAN, from: FROM, url: `${bridge.baseUrl}/x`, machineDetection: 'Sometimes' }),
    ).rejects.toMatchObject({ status: 400, code: 21200 });
    const res = await fetch(`${standin!.url}/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ From: FROM, Url: `${bridge.baseUrl}/x` }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 21201, message: "A 'To' phone number is required.", more_info: 'https://www.twilio.com/docs/errors/21201', status: 400 });
    expect(standin!.createdCount()).toBe(0);
  });
});

describe('REST stand-in: calls(sid).update', () => {
  it('new Twiml replaces the running stream (the bridge gets stop); Status=completed ends a call', async () => {
    await start({ verbTimeScale: 1 });
    bridge.twiml.set('/twilio/outbound', () => `<Response><Connect><Stream url="${bridge.mediaUrl}"/></Connect></Response>`);
    let socket!: Promise<BridgeSocket>;
    socket = new Promise((r) => (bridge.onStream = r));
    const created = await client.calls.create({ to: HUMAN, from: FROM, url: `${bridge.baseUrl}/twilio/outbound` });
    const s = await socket;
    await s.next('start');
    const updated = await client.calls(created.sid).update({ twiml: '<Response><Say>Goodbye</Say><Hangup/></Response>' });
    expect(updated.status).toBe('in-progress');
    await s.next('stop');
    const call = standin!.calls.get(created.sid)!;
    await call.done;
    expect(call.engine!.twimlSteps.map((x) => x.verb)).toEqual(['Connect', 'Update', 'Say', 'Hangup']);
    await expect(client.calls(created.sid).update({ twiml: '<Response/>' })).rejects.toMatchObject({ status: 400, code: 21220 });

    const second = await client.calls.create({ to: HUMAN, from: FROM, twiml: '<Response><Pause length="30"/></Response>' });
    await expect.poll(() => standin!.calls.get(second.sid)!.status, { timeout: 15_000 }).toBe('in-progress');
    await client.calls(second.sid).update({ status: 'completed' });
    await standin!.calls.get(second.sid)!.done;
    expect(standin!.calls.get(second.sid)!.engine!.result!.how).toBe('completed-by-api');
  });

  it('Status=canceled cancels a ringing call', async () => {
    await start({ timeScale: 1 });
    const created = await client.calls.create({ to: NO_ANSWER, from: FROM, url: `${bridge.baseUrl}/twilio/outbound`, statusCallback: `${bridge.baseUrl}/status` });
    await expect.poll(() => standin!.calls.get(created.sid)!.status, { timeout: 15_000 }).toBe('ringing');
    const updated = await client.calls(created.sid).update({ status: 'canceled' });
    expect(updated.sid).toBe(created.sid);
    await standin!.calls.get(created.sid)!.done;
    expect((await client.calls(created.sid).fetch()).status).toBe('canceled');
    expect(requestsTo('/status').map((r) => r.params.CallStatus)).toEqual(['canceled']);
  });
});

describe('REST stand-in: answering machine detection', () => {
  it('synchronous: AnsweredBy is on the TwiML request and the answered/completed callbacks', async () => {
    await start({ timeScale: 0.1 });
    bridge.twiml.set('/twilio/outbound', () => '<Response><Hangup/></Response>');
    const human = await client.calls.create({ to: HUMAN, from: FROM, url: `${bridge.baseUrl}/twilio/outbound`, machineDetection: 'Enable' });
    const machine = await client.calls.create({
      to: MACHINE,
      from: FROM,
      url: `${bridge.baseUrl}/twilio/outbound`,
      machineDetection: 'DetectMessageEnd',
      statusCallback: `${bridge.baseUrl}/status`,
      statusCallbackEvent: ['answered', 'completed'],
    });
    await standin!.settled();
    const byCall = (sid: string) => requestsTo('/twilio/outbound').find((r) => r.params.CallSid === sid)!.params;
    expect(byCall(human.sid).AnsweredBy).toBe('human');
    expect(byCall(machine.sid).AnsweredBy).toBe('machine_end_beep');
    expect(requestsTo('/status').map((r) => [r.params.CallStatus, r.params.AnsweredBy])).toEqual([
      ['in-progress', 'machine_end_beep'],
      ['completed', 'machine_end_beep'],
    ]);
    expect((await client.calls(machine.sid).fetch()).answeredBy).toBe('machine_end_beep');
    // The greeting (300 ms) passed before the TwiML was fetched.
    const m = standin!.calls.get(machine.sid)!;
    const amd = m.history.find((h) => h.event === 'amd')!;
    expect(amd.detail).toMatchObject({ answeredBy: 'machine_end_beep', durationMs: 300 });
    expect(amd.atMs - m.history.find((h) => h.event === 'in-progress')!.atMs).toBeGreaterThanOrEqual(290);
  });

  it('asynchronous: the TwiML runs at once; AsyncAmdStatusCallback gets AnsweredBy and MachineDetectionDuration, signed', async () => {
    await start({ timeScale: 0.1, verbTimeScale: 1 });
    bridge.twiml.set('/twilio/outbound', () => '<Response><Pause length="10"/></Response>');
    const created = await client.calls.create({
      to: MACHINE,
      from: FROM,
      url: `${bridge.baseUrl}/twilio/outbound`,
      machineDetection: 'Enable',
      asyncAmd: 'true',
      asyncAmdStatusCallback: `${bridge.baseUrl}/amd`,
    });
    const call = standin!.calls.get(created.sid)!;
    await expect.poll(() => requestsTo('/amd').length, { timeout: 15_000 }).toBe(1);
    expect(requestsTo('/twilio/outbound')[0]!.params.AnsweredBy).toBeUndefined();
    expect(requestsTo('/amd')[0]).toMatchObject({
      signatureValid: true,
      params: { CallSid: created.sid, AccountSid: ACCOUNT, AnsweredBy: 'machine_start', MachineDetectionDuration: '240' },
    });
    await call.hangup();
    expect(call.answeredBy).toBe('machine_start');
  });
});

describe('REST stand-in: campaign measurements', () => {
  it('counts calls per destination and the most calls in progress at once', async () => {
    await start({ timeScale: 1, verbTimeScale: 1 });
    const twiml = '<Response><Pause length="5"/></Response>';
    const made = await Promise.all([
      client.calls.create({ to: LEAVES, from: FROM, twiml }),
      client.calls.create({ to: LEAVES, from: FROM, twiml }),
      client.calls.create({ to: LEAVES, from: FROM, twiml }),
      client.calls.create({ to: BUSY, from: FROM, twiml }),
    ]);
    await standin!.settled();
    expect(made.map((c) => standin!.calls.get(c.sid)!.status)).toEqual(['completed', 'completed', 'completed', 'busy']);
    expect(standin!.createdCount(LEAVES)).toBe(3);
    expect(standin!.createdCount(BUSY)).toBe(1);
    expect(standin!.createdCount(HUMAN)).toBe(0);
    expect(standin!.createdCount()).toBe(4);
    expect(standin!.maxConcurrent).toBe(3);
    expect(standin!.maxActive).toBe(4);
    expect(standin!.inProgress).toBe(0);
  });
});

describe('REST stand-in: signatures', () => {
  it('status callbacks validate with twilio.validateRequest against the exact URL', async () => {
    await start();
    bridge.twiml.set('/status?campaign=7', () => '');
    const created = await client.calls.create({ to: BUSY, from: FROM, twiml: '<Response/>', statusCallback: `${bridge.baseUrl}/status?campaign=7` });
    await standin!.calls.get(created.sid)!.done;
    const cb = standin!.calls.get(created.sid)!.callbacks[0]!;
    expect(cb.status).toBe(200);
    const sig = twilio.getExpectedTwilioSignature(TOKEN, cb.url, cb.params);
    expect(twilio.validateRequest(TOKEN, sig, `${bridge.baseUrl}/status?campaign=7`, cb.params)).toBe(true);
    expect(bridge.requests.find((r) => r.path === '/status?campaign=7')!.signatureValid).toBe(true);
  });
});

describe('REST stand-in: cleanup', () => {
  it('leaves no timers, sockets or servers behind once closed', async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r.startsWith('TCP')).length;
    await bridge.close();
    await new Promise((r) => setImmediate(r)); // close callbacks of the old bridge's handles run
    const before = count();
    bridge = await new FakeBridge(TOKEN).listen();
    bridge.twiml.set('/status', () => '');
    await start({ timeScale: 1 });
    streamThenHangup('hold');
    // One call streaming, one ringing, one whose TwiML never ends: close() must end them all.
    await client.calls.create({ to: HUMAN, from: FROM, url: `${bridge.baseUrl}/twilio/outbound`, statusCallback: `${bridge.baseUrl}/status` });
    await client.calls.create({ to: NO_ANSWER, from: FROM, url: `${bridge.baseUrl}/twilio/outbound` });
    await client.calls.create({ to: HUMAN, from: FROM, twiml: '<Response><Pause length="60"/></Response>' });
    await expect.poll(() => bridge.sockets.length, { timeout: 15_000 }).toBe(1);
    await standin!.close();
    standin = undefined;
    await bridge.close();
    // Client sockets see the server's FIN a moment later. (waitFor's own timer has fired whenever it probes;
    // expect.poll would hold one.)
    await waitFor(() => count() <= before, { timeoutMs: 15_000, what: `at most ${before} timers and sockets` });
    expect(count()).toBeLessThanOrEqual(before);
    bridge = await new FakeBridge(TOKEN).listen(); // for afterEach
  });
});
