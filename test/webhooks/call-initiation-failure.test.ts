/**
 * Outbound dials that never connect, end to end: the bridge dials through the
 * Twilio stand-in (REST create, signed status callbacks), the callee is busy,
 * never answers, or the carrier fails the call, and the receiver (verifying
 * ElevenLabs-Signature with its own code) gets exactly one
 * `call_initiation_failure` per call in ElevenLabs' documented shape:
 * `data: { agent_id, conversation_id, failure_reason: busy | no-answer |
 * unknown, metadata: { type: 'twilio', body: <Twilio StatusCallback body> } }`
 * (ElevenLabs post-call webhook docs, "Call initiation failure webhooks"; the
 * June 2025 seed predates the event). Twilio does not order a call's status
 * callbacks against the REST create's answer (protocols.md §3.2), so both
 * orders are run, fixed by the stand-in's holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { farEndsByNumber, type FarEndBehaviour } from '../../tools/twilio-standin/far-end.js';
import type { StandinCall } from '../../tools/twilio-standin/outbound-call.js';
import type { TwilioStandinOptions } from '../../tools/twilio-standin/rest-server.js';
import { ACCOUNT_SID, AGENT_ID, API_TOKEN, FROM_NUMBER, startHarness, type Harness } from '../support/bridge-harness.js';
import { waitFor } from '../support/wait.js';
import { startReceiver, type Received, type Receiver } from './receiver.js';

const SECRET = 'whsec_initiation_failure_test';
const BUSY = '+14155550131';
const NO_ANSWER = '+14155550132';
const FAILED = '+14155550133';
const FAR_ENDS: Record<string, FarEndBehaviour> = {
  [BUSY]: { kind: 'busy', ringMs: 30 },
  [NO_ANSWER]: { kind: 'no-answer' },
  [FAILED]: { kind: 'failed' },
};
/** ElevenLabs' documented failure_reason values; Twilio's `failed` is none of the first two. */
const EXPECTED_REASON: Record<string, string> = { [BUSY]: 'busy', [NO_ANSWER]: 'no-answer', [FAILED]: 'unknown' };
const TWILIO_STATUS: Record<string, string> = { [BUSY]: 'busy', [NO_ANSWER]: 'no-answer', [FAILED]: 'failed' };

type Order = 'create answer first' | 'status callbacks first';

let harness: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await harness?.close();
  await receiver?.close();
  harness = receiver = undefined;
});

/** The stand-in's holds that fix one order of REST answer and status callbacks. */
function orderHolds(order: Order, bridge: () => Harness | undefined): Partial<TwilioStandinOptions> {
  const record = (sid: string, ended: boolean) => waitFor(async () => {
    const r = await bridge()?.store.calls.getByProviderCallId('twilio', sid);
    return r && (!ended || r.state === 'ended') ? r : false;
  }, { timeoutMs: 30_000, what: `the bridge's record of ${sid}${ended ? ' ended' : ''}` });
  // The create answer waits until every callback was sent and the bridge has ended the call from them (a callback
  // the stand-in gave up waiting for, on a slow machine, may still be at work in the bridge).
  if (order === 'status callbacks first') return { holdCreateAnswer: async (call: StandinCall) => { await call.done; await record(call.sid, true); } };
  // Callbacks wait until the bridge has stored the CallSid from the REST answer (its only source while they wait).
  return { holdCallbacks: (call: StandinCall) => record(call.sid, false) };
}

async function start(order: Order): Promise<Harness> {
  receiver = await startReceiver({ secret: SECRET });
  const h = await startHarness({ mode: 'scripted' }, {
    POST_CALL_WEBHOOK_URL: receiver.url, POST_CALL_WEBHOOK_SECRET: SECRET, CALLS_PER_SECOND: '20',
  }, { timeScale: 0.02, farEnds: farEndsByNumber(FAR_ENDS), ...orderHolds(order, () => harness) });
  harness = h;
  return h;
}

async function api(h: Harness, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(h.bridgeUrl + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** The documented shape, checked field by field against the stand-in's own record of the call. */
function expectFailureEvent(got: Received, to: string, callSid: string, callId: string): void {
  const { type, event_timestamp, data } = got.event;
  expect(type).toBe('call_initiation_failure');
  expect(Number.isInteger(event_timestamp)).toBe(true);
  expect(Math.abs(event_timestamp - Date.now() / 1000)).toBeLessThan(120);
  expect(data.agent_id).toBe(AGENT_ID);
  expect(data.conversation_id).toBeNull(); // no agent conversation was ever opened
  expect(data.failure_reason).toBe(EXPECTED_REASON[to]);
  expect(data.metadata.type).toBe('twilio');
  // Twilio's StatusCallback body as Twilio posted it (ElevenLabs passes that body on).
  expect(data.metadata.body).toMatchObject({
    CallSid: callSid, AccountSid: ACCOUNT_SID, To: to, From: FROM_NUMBER, CallStatus: TWILIO_STATUS[to], Direction: 'outbound-api',
    CallbackSource: 'call-progress-events',
  });
  expect(data.bridge).toMatchObject({ call_id: callId, status: TWILIO_STATUS[to] });
  expect(data.recipient.phone_number).toBe(to);
  expect('transcript' in data).toBe(false);
  expect('analysis' in data).toBe(false);
}

/** Every event written so far was delivered (the receiver records a request before the bridge settles its row). */
async function outboxDrained(h: Harness): Promise<void> {
  const counts = await waitFor(async () => {
    const c = await h.store.outbox.counts();
    return c.pending === 0 && c.delivered + c.failed > 0 ? c : false;
  }, { timeoutMs: 20_000, what: 'every outbox event settled' });
  expect(counts.failed).toBe(0);
}

const ORDERS: Order[] = ['create answer first', 'status callbacks first'];

describe('call_initiation_failure through the Twilio stand-in', () => {
  for (const order of ORDERS) {
    it(`POST /calls to busy, no-answer and failed callees (${order}): one signed event each, no transcription`, { timeout: 60_000 }, async () => {
      const h = await start(order);
      const placed: Record<string, string> = {};
      // Concurrently: with the callbacks first, each POST only returns once its call is over.
      await Promise.all(Object.keys(FAR_ENDS).map(async (to) => {
        const r = await api(h, 'POST', '/calls', { to, ring_timeout_seconds: 10 });
        expect(r.status).toBe(201);
        placed[to] = r.body.id as string;
        // The order really was the one under test: with the callbacks first, the call had ended before its create answer came.
        const record = (await api(h, 'GET', `/calls/${r.body.id}`)).body;
        if (order === 'status callbacks first') expect(record).toMatchObject({ state: 'ended', status: TWILIO_STATUS[to] });
      }));
      await h.twilio.settled();
      await outboxDrained(h);

      expect(receiver!.rejectedSignatures).toEqual([]);
      const accepted = receiver!.accepted();
      expect(accepted).toHaveLength(3);
      expect(accepted.map((a) => a.event.type)).toEqual(['call_initiation_failure', 'call_initiation_failure', 'call_initiation_failure']);
      for (const [to, callId] of Object.entries(placed)) {
        const sent = [...h.twilio.calls.values()].find((c) => c.to === to)!;
        expect(sent.status).toBe(TWILIO_STATUS[to]);
        const mine = accepted.filter((a) => a.event.data.bridge?.call_id === callId);
        expect(mine).toHaveLength(1);
        expectFailureEvent(mine[0]!, to, sent.sid, callId);
        expect(mine[0]!.event.data.recipient.batch_call).toBeNull();
        // The body is the final callback Twilio sent, not one the bridge made up.
        const final = sent.callbacks.filter((cb) => cb.params.CallStatus === TWILIO_STATUS[to]);
        expect(final).toHaveLength(1);
        expect(mine[0]!.event.data.metadata.body).toEqual(final[0]!.params);
      }
      expect(h.agent.conversations).toHaveLength(0);
    });
  }

  for (const order of ORDERS) {
    it(`a campaign whose callees never connect (${order}): one event per recipient with its batch ids`, { timeout: 60_000 }, async () => {
      const h = await start(order);
      const rows = ['phone_number;first_name', ...Object.keys(FAR_ENDS).map((n, i) => `${n};Name${i}`)];
      const form = new FormData();
      form.set('name', 'Never connects');
      form.set('agent_id', AGENT_ID);
      form.set('ring_timeout_seconds', '10');
      form.set('file', new Blob([rows.join('\n')], { type: 'text/csv' }), 'list.csv');
      const created = await fetch(`${h.bridgeUrl}/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` }, body: form });
      expect(created.status).toBe(201);
      const campaignId = ((await created.json()) as { campaign: { id: string } }).campaign.id;
      let view: Record<string, any> = {};
      await waitFor(async () => {
        view = (await api(h, 'GET', `/campaigns/${campaignId}`)).body;
        return view.status === 'completed';
      }, { timeoutMs: 30_000, what: 'campaign completed' }).catch((err: Error) => {
        throw new Error(`${err.message}; last view ${JSON.stringify(view)}`);
      });
      expect(view.counts).toMatchObject({ busy: 1, 'no-answer': 1, failed: 1 });
      await h.twilio.settled();
      await outboxDrained(h);

      expect(receiver!.rejectedSignatures).toEqual([]);
      const accepted = receiver!.accepted();
      expect(accepted).toHaveLength(3);
      const recipients = (await api(h, 'GET', `/campaigns/${campaignId}/recipients`)).body.recipients as Array<{ id: number; phoneNumber: string; lastCallId: string }>;
      expect(recipients).toHaveLength(3);
      for (const r of recipients) {
        const sent = [...h.twilio.calls.values()].find((c) => c.to === r.phoneNumber)!;
        const mine = accepted.filter((a) => a.event.data.recipient?.phone_number === r.phoneNumber);
        expect(mine).toHaveLength(1);
        expectFailureEvent(mine[0]!, r.phoneNumber, sent.sid, r.lastCallId);
        expect(mine[0]!.event.data.recipient.batch_call).toEqual({ batch_call_id: campaignId, batch_call_recipient_id: String(r.id) });
        expect(mine[0]!.event.data.bridge.campaign_id).toBe(campaignId);
      }
      expect(h.agent.conversations).toHaveLength(0);
    });
  }
});
