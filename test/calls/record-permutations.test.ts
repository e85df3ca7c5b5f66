/**
 * Every order of the four things that report an outbound call's fate — the
 * final status callback, the media stream's `stop`, the AMD callback and the
 * REST create result — for answered, machine, busy, no-answer and failed
 * calls: one record, ended once, with the right reason, the provider's status
 * beside it, and the right campaign outcome. Driven through the bridge's real
 * HTTP routes (signed Twilio webhooks), a real Media Stream WebSocket (the
 * Twilio stand-in's caller) talking to the reference agent, and the store.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallStatusEvent } from '../../src/calls/call-events.js';
import { DEFAULT_SETTINGS } from '../../src/campaigns/settings.js';
import type { CallSession } from '../../src/call/call-session.js';
import { MediaStreamCaller } from '../../tools/twilio-standin/media-stream-caller.js';
import { parseTwiml } from '../../tools/twilio-standin/twiml-reader.js';
import { sendSignedRequest } from '../../tools/twilio-standin/webhook-signer.js';
import { newSid } from '../../tools/twilio-standin/ids.js';
import { ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, startHarness, type Harness } from '../support/bridge-harness.js';

type Kind = 'answered' | 'machine' | 'busy' | 'no-answer' | 'failed';
type Step = 'final' | 'stop' | 'amd' | 'created';

const STEPS: Record<Kind, Step[]> = {
  answered: ['final', 'stop', 'amd', 'created'],
  machine: ['final', 'stop', 'amd', 'created'],
  // Unanswered calls have no stream and no AMD result.
  busy: ['final', 'created'],
  'no-answer': ['final', 'created'],
  failed: ['final', 'created'],
};
const FINAL: Record<Kind, string> = { answered: 'completed', machine: 'completed', busy: 'busy', 'no-answer': 'no-answer', failed: 'failed' };
const OUTCOME: Record<Kind, string> = { answered: 'completed', machine: 'voicemail', busy: 'busy', 'no-answer': 'no-answer', failed: 'failed' };

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const CASES = (Object.keys(STEPS) as Kind[]).flatMap((kind) => permutations(STEPS[kind]).map((order) => ({ kind, order }))).slice(0, Number(process.env.PERM_LIMIT ?? 1000));

let harness: Harness;
let campaignId: string;
const finals = new Map<string, CallStatusEvent[]>();

beforeAll(async () => {
  harness = await startHarness({ mode: 'scripted' }, { MAX_CONCURRENT_CALLS: '50' });
  harness.bridge.callEvents.on((e) => {
    if (e.endReason) finals.set(e.callId, [...(finals.get(e.callId) ?? []), e]);
  });
  const created = await harness.store.campaigns.create(
    // Paused: the dispatcher dials nothing; the test plays the dialer. One attempt: outcomes are final.
    { name: 'orders', type: 'agent', agentId: 'agent_test', status: 'paused', settings: { ...DEFAULT_SETTINGS, maxAttempts: 1, window: undefined } },
    CASES.map((_, i) => ({ phoneNumber: `+1415555${String(2000 + i)}` })),
  );
  campaignId = created.campaign.id;
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** A signed Twilio webhook to the bridge, answered before the next event is sent. */
async function webhook(path: string, params: Record<string, string>): Promise<void> {
  const res = await sendSignedRequest({ authToken: AUTH_TOKEN, url: `${harness.bridgeUrl}${path}`, params });
  expect(res.status, `${path} ${JSON.stringify(params)}`).toBeLessThan(300);
}

async function runCase(kind: Kind, order: Step[], index: number): Promise<void> {
  const { store, bridge } = harness;
  const callId = randomUUID();
  const callSid = newSid('CA');
  const to = `+1415555${String(2000 + index)}`;
  const recipient = (await store.recipients.list(campaignId, { limit: 1000 })).find((r) => r.phoneNumber === to)!;
  // What the dispatcher and dialer write before the REST request: the claim and the call record.
  await store.database.db.updateTable('campaign_recipients')
    .set({ status: 'dialing', attempts: 1, last_call_id: callId, dial_intent_at: Date.now(), updated_at: Date.now() })
    .where('id', '=', recipient.id).execute();
  await store.calls.insert({
    id: callId, direction: 'outbound', provider: 'twilio', fromNumber: FROM_NUMBER, toNumber: to, agentId: 'agent_test',
    campaignId, recipientId: recipient.id,
    metadata: { dynamicVariables: {}, overrides: {}, policy: { answeringMachine: { action: 'hangup' } }, machineDetection: 'detect' },
  });
  const base = { CallSid: callSid, AccountSid: ACCOUNT_SID, From: FROM_NUMBER, To: to, Direction: 'outbound-api' };
  const status = (CallStatus: string, extra: Record<string, string> = {}) => webhook(`/twilio/status/${callId}`, { ...base, CallStatus, ...extra });

  let caller: MediaStreamCaller | undefined;
  let sessionEnded: Promise<CallSession> | undefined;
  if (kind !== 'failed') await status('ringing');
  if (kind === 'answered' || kind === 'machine') {
    await status('in-progress');
    const twiml = await sendSignedRequest({ authToken: AUTH_TOKEN, url: `${harness.bridgeUrl}/twilio/outbound/${callId}`, params: { ...base, CallStatus: 'in-progress' } });
    const connect = parseTwiml(twiml.body).verbs.find((v) => v.verb === 'Connect');
    if (connect?.verb !== 'Connect' || !connect.stream) throw new Error(`no <Connect><Stream> in ${twiml.body}`);
    sessionEnded = new Promise((resolve) => {
      const onEnd = (s: CallSession) => { if (s.id === callId) { bridge.events.off('call-ended', onEnd); resolve(s); } };
      bridge.events.on('call-ended', onEnd);
    });
    caller = new MediaStreamCaller({ url: connect.stream.url, authToken: AUTH_TOKEN, accountSid: base.AccountSid, callSid, customParameters: connect.stream.parameters });
    await caller.ready;
    await expect.poll(async () => (await store.calls.get(callId))?.mediaAt ?? null, { timeout: 20_000, interval: 20 }).not.toBeNull();
  }
  for (const step of order) {
    if (step === 'final') await status(FINAL[kind], kind === 'machine' || kind === 'answered' ? { CallDuration: '3' } : {});
    else if (step === 'amd') await webhook(`/twilio/amd/${callId}`, { ...base, AnsweredBy: kind === 'machine' ? 'machine_start' : 'human' });
    else if (step === 'created') await store.calls.setProviderCallId(callId, callSid); // what TwilioDialer does with the create result
    else if (step === 'stop') {
      await caller!.hangup();
      await sessionEnded;
    }
  }
  await harness.bridge.campaigns!.recorder.idle();
  const record = (await store.calls.get(callId))!;
  const label = `${kind}: ${order.join(' → ')}`;
  expect(record.state, label).toBe('ended');
  expect(record.providerStatus, label).toBe(FINAL[kind]);
  expect(record.providerCallId, label).toBe(callSid);
  expect(record.endReason, label).toBe(expectedReason(kind, order));
  await expect.poll(async () => (finals.get(callId) ?? []).length, { timeout: 15_000, interval: 20 }).toBe(1);
  await expect.poll(async () => (await store.recipients.get(recipient.id))?.status, { timeout: 15_000, interval: 20 }).toBe(OUTCOME[kind]);
  expect(await store.database.db.selectFrom('calls').select('id').where('recipient_id', '=', recipient.id).execute(), label).toHaveLength(1);
}

/** A held call is ended by its session: the caller's hang-up, or the machine policy if AMD came first. */
function expectedReason(kind: Kind, order: Step[]): string {
  if (kind === 'answered') return 'caller-hangup';
  if (kind === 'machine') return order.indexOf('amd') < order.indexOf('stop') ? 'agent-ended' : 'caller-hangup';
  return 'provider-ended';
}

describe(`call record: every order of final status / stream stop / AMD / REST result (${CASES.length} cases)`, () => {
  it('one record, one end, the right reason, provider status and outcome', { timeout: 300_000 }, async () => {
    const failures: string[] = [];
    // A few calls at a time, as a busy bridge would have them; each case waits on events only.
    const queue = CASES.map((c, i) => ({ ...c, i }));
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        await runCase(c.kind, c.order, c.i).catch((err: Error) => failures.push(`${c.kind} ${c.order.join('→')}: ${err.message.split('\n')[0]}`));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    expect(failures).toEqual([]);
    console.info(`call-record permutations: ${CASES.length} cases (answered 24, machine 24, busy/no-answer/failed 2 each), all one record / one end / right outcome`);
  });
});
