import { afterEach, describe, expect, it } from 'vitest';
import { simulateInboundCall } from '../../tools/twilio-standin/call-simulator.js';
import { newSid } from '../../tools/twilio-standin/ids.js';
import { MediaStreamCaller } from '../../tools/twilio-standin/media-stream-caller.js';
import { parseTwiml } from '../../tools/twilio-standin/twiml-reader.js';
import { sendSignedRequest } from '../../tools/twilio-standin/webhook-signer.js';
import { ACCOUNT_SID, AUTH_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { waitFor } from '../support/wait.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const call = { from: '+15550001111', to: '+15550002222', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN };

/** The agent saw nothing: no signed-URL request, no socket, no conversation. */
function expectAgentUntouched(h: Harness): void {
  expect(h.agent.httpRequests).toEqual([]);
  expect(h.agent.conversations).toEqual([]);
  expect(h.agent.connectionCount).toBe(0);
}

/**
 * A refused stream after a genuine, signed webhook: the webhook may have
 * fetched the call's signed URL ahead of the stream (AGENT_PREFETCH_SIGNED_URL),
 * but no agent socket or conversation was ever opened.
 */
function expectNoAgentSocket(h: Harness): void {
  expect(h.agent.httpRequests.map((r) => r.path)).toEqual(h.agent.httpRequests.length ? ['/v1/convai/conversation/get-signed-url'] : []);
  expect(h.agent.conversations).toEqual([]);
  expect(h.agent.connectionCount).toBe(0);
}

async function tokenParams(h: Harness): Promise<{ callSid: string; params: Record<string, string> }> {
  // A real webhook answer gives us a genuine token to tamper with.
  const callSid = newSid('CA');
  const res = await sendSignedRequest({
    authToken: AUTH_TOKEN, url: h.bridgeUrl + '/twilio/voice',
    params: { CallSid: callSid, AccountSid: ACCOUNT_SID, From: call.from, To: call.to, CallStatus: 'ringing', Direction: 'inbound' },
  });
  expect(res.status).toBe(200);
  const connect = parseTwiml(res.body).verbs.find((v) => v.verb === 'Connect');
  if (connect?.verb !== 'Connect' || !connect.stream) throw new Error('no <Connect><Stream> in the answer');
  expect(connect.stream.parameters.streamToken).toMatch(/^v1\./);
  return { callSid, params: connect.stream.parameters };
}

describe('webhook and stream authentication', () => {
  it.each(['missing', 'wrong'] as const)('a webhook with a %s signature gets 403 and no TwiML', async (mode) => {
    harness = await startHarness();
    const sim = await simulateInboundCall({ ...call, bridgeUrl: harness.bridgeUrl, webhookSignature: mode });
    const ended = await sim.ended;
    expect(ended.how).toBe('rejected');
    expect(ended.status).toBe(403);
    expect(sim.streams).toEqual([]);
    expectAgentUntouched(harness);
  });

  it.each(['missing', 'wrong'] as const)('a stream upgrade with a %s signature is refused with 403 before any agent socket opens', async (mode) => {
    harness = await startHarness();
    const sim = await simulateInboundCall({ ...call, bridgeUrl: harness.bridgeUrl, streamSignature: mode });
    await sim.ended;
    expect(sim.stream?.closedInfo?.upgradeStatus).toBe(403);
    expectNoAgentSocket(harness);
  });

  it('a stream whose token is missing, tampered with or for another call is closed with 1008', async () => {
    harness = await startHarness();
    const { callSid, params } = await tokenParams(harness);
    const url = harness.bridgeUrl.replace('http', 'ws') + '/twilio/media';
    const variants: Array<[string, string, Record<string, string>]> = [
      ['missing', callSid, Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'streamToken'))],
      ['tampered parameters', callSid, { ...params, agentId: 'someone-elses-agent' }],
      ['other call', 'CA' + 'f'.repeat(32), params],
    ];
    for (const [, sid, customParameters] of variants) {
      const stream = new MediaStreamCaller({ url, authToken: AUTH_TOKEN, callSid: sid, accountSid: ACCOUNT_SID, customParameters });
      const closed = await stream.closed;
      expect(closed.code).toBe(1008);
      expect(closed.by).toBe('bridge');
    }
    expectNoAgentSocket(harness);
  });

  it('an expired token is refused', async () => {
    harness = await startHarness({}, { STREAM_TOKEN_TTL_SECONDS: '1' });
    const { callSid, params } = await tokenParams(harness);
    // Until the expiry the token carries (v1.<unix seconds>.<mac>) has passed on this clock, the bridge's.
    const expiry = Number(params.streamToken!.split('.')[1]) * 1000;
    await waitFor(() => Date.now() > expiry, { timeoutMs: 10_000, what: 'token expired' });
    const url = harness.bridgeUrl.replace('http', 'ws') + '/twilio/media';
    const stream = new MediaStreamCaller({ url, authToken: AUTH_TOKEN, callSid, accountSid: ACCOUNT_SID, customParameters: params });
    expect((await stream.closed).code).toBe(1008);
    expectNoAgentSocket(harness);
  });
});
