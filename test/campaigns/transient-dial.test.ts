/**
 * Transient provider errors (429, 503, a reset connection) are retried with
 * backoff and do not use a recipient's attempt; a refused dial (4xx with a
 * Twilio code) is final, with the code in the call record. Against the Twilio
 * stand-in's fault injection, through the whole bridge and the official client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { TwilioDialer } from '../../src/twilio/twilio-dialer.js';
import { createTwilioRestClient } from '../../src/twilio/rest-client.js';
import { quietLog } from './support/harness.js';
import { BridgeError } from '../../src/errors.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const NUMBER = '+14155553001';
const OTHER = '+14155553002';
const RETRY_ENV = { DIAL_RETRY_BASE_MS: '40', DIAL_RETRY_MAX_MS: '200', CALLS_PER_SECOND: '20' };

async function campaignOf(h: Harness, numbers: string[]): Promise<string> {
  const form = new FormData();
  form.set('name', 'flaky provider');
  form.set('agent_id', 'agent_test');
  form.set('file', new Blob([['phone_number', ...numbers].join('\n')], { type: 'text/csv' }), 'list.csv');
  const res = await fetch(`${h.bridgeUrl}/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` }, body: form });
  expect(res.status).toBe(201);
  return ((await res.json()) as { campaign: { id: string } }).campaign.id;
}

const createRequests = (h: Harness) => h.twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json'));

describe('transient dial errors', () => {
  it('429, 503 and a reset are retried with backoff: one call, one attempt used', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { ...RETRY_ENV, DIAL_RETRY_ATTEMPTS: '4' }, {
      farEnds: farEndsByNumber({ [NUMBER]: { kind: 'human', ringMs: 50, hangupAfterMs: 600 } }),
    });
    harness.twilio.injectFaults({ status: 429 }, { status: 503 }, { reset: true });
    const id = await campaignOf(harness, [NUMBER]);
    await expect.poll(async () => (await harness!.store.campaigns.get(id))?.status, { timeout: 40_000, interval: 100 }).toBe('completed');
    const [recipient] = await harness.store.recipients.list(id, { limit: 10 });
    expect(recipient).toMatchObject({ status: 'completed', attempts: 1 });
    expect(harness.twilio.faultsServed).toBe(3);
    expect(createRequests(harness).map((r) => r.status)).toEqual([429, 503, 0, 201]);
    expect(harness.twilio.createdCount(NUMBER)).toBe(1);
    const calls = await harness.store.database.db.selectFrom('calls').selectAll().execute();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ state: 'ended', error_code: null });
    const times = createRequests(harness).map((r) => r.atMs);
    console.info(`transient dial: 429 → 503 → reset → created; gaps ${times.slice(1).map((t, i) => Math.round(t - times[i]!)).join(', ')} ms; attempts used 1`);
  });

  it('a 503 and a reset that came after Twilio made the call: found by the lookup, never dialled twice', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { ...RETRY_ENV, DIAL_RETRY_ATTEMPTS: '4' }, {
      farEnds: farEndsByNumber({ [NUMBER]: { kind: 'human', ringMs: 50, hangupAfterMs: 600 }, [OTHER]: { kind: 'human', ringMs: 50, hangupAfterMs: 600 } }),
    });
    harness.twilio.injectFaults({ status: 503, afterCreate: true }, { reset: true, afterCreate: true });
    const id = await campaignOf(harness, [NUMBER, OTHER]);
    await expect.poll(async () => (await harness!.store.campaigns.get(id))?.status, { timeout: 40_000, interval: 100 }).toBe('completed');
    const recipients = await harness.store.recipients.list(id, { limit: 10 });
    for (const r of recipients) expect(r).toMatchObject({ status: 'completed', attempts: 1 });
    expect(harness.twilio.faultsServed).toBe(2);
    expect(createRequests(harness)).toHaveLength(2); // one create each, both answered with a fault
    expect(harness.twilio.createdCount(NUMBER)).toBe(1);
    expect(harness.twilio.createdCount(OTHER)).toBe(1);
    const calls = await harness.store.database.db.selectFrom('calls').selectAll().execute();
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c).toMatchObject({ state: 'ended', error_code: null });
  });

  it('retries exhausted: the recipient goes back to pending without using an attempt, and is dialled again later', { timeout: 60_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { ...RETRY_ENV, DIAL_RETRY_ATTEMPTS: '1' }, {
      farEnds: farEndsByNumber({ [NUMBER]: { kind: 'human', ringMs: 50, hangupAfterMs: 600 } }),
    });
    harness.twilio.injectFaults({ status: 503 }, { reset: true });
    const id = await campaignOf(harness, [NUMBER]);
    await expect.poll(async () => (await harness!.store.recipients.list(id, { limit: 10 }))[0]?.outcome?.transient ?? null, { timeout: 20_000, interval: 50 }).toBe(true);
    const requeued = (await harness.store.recipients.list(id, { limit: 10 }))[0]!;
    expect(requeued).toMatchObject({ status: 'pending', attempts: 0 });
    const first = await harness.store.database.db.selectFrom('calls').selectAll().execute();
    expect(first).toMatchObject([{ state: 'ended', end_reason: 'dial-failed', provider_status: null }]);
    await expect.poll(async () => (await harness!.store.campaigns.get(id))?.status, { timeout: 40_000, interval: 100 }).toBe('completed');
    expect((await harness.store.recipients.list(id, { limit: 10 }))[0]).toMatchObject({ status: 'completed', attempts: 1 });
    expect(harness.twilio.createdCount(NUMBER)).toBe(1);
  });
});

describe('final dial errors', () => {
  it('a 4xx with a Twilio code is not retried; the code is in the record', { timeout: 30_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' });
    const rest = createTwilioRestClient({ accountSid: harness.twilio.accountSid, authToken: harness.twilio.authToken, apiUrl: harness.twilio.url });
    const dialer = new TwilioDialer({ config: harness.config, store: harness.store, rest, log: quietLog, retry: { attempts: 4, baseMs: 10, maxMs: 20 } });
    const err = await dialer.dial({ to: NUMBER, from: 'not-a-number', agentId: 'agent_test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as BridgeError).code).toBe('dial-failed');
    expect((err as BridgeError).details).toMatchObject({ providerCode: '21212', providerStatus: 400 });
    expect(createRequests(harness)).toHaveLength(1);
    const [record] = await harness.store.database.db.selectFrom('calls').selectAll().execute();
    expect(record).toMatchObject({ state: 'ended', end_reason: 'dial-failed', error_code: '21212', provider_status: 'failed' });
  });
});
