/**
 * The outbox deliverer against a real receiver and real stores (SQLite and
 * PostgreSQL): retries until the receiver is up, exactly one accepted
 * delivery per idempotency key, in order per call; several instances never
 * send the same event at once; a dead instance's lease expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { enqueueOutboxEvent, type Store } from '../../src/store/index.js';
import { WebhookDeliverer } from '../../src/webhooks/deliverer.js';
import { postCallHook } from '../../src/webhooks/post-call-hook.js';
import { engines } from '../store/engines.js';
import { startReceiver, type Receiver } from './receiver.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'whsec_outbox_test';
const log = createLogger('silent');
const all = await engines();

function deliverer(store: Store, receiver: Receiver, instanceId: string, over: Partial<ConstructorParameters<typeof WebhookDeliverer>[0]> = {}): WebhookDeliverer {
  return new WebhookDeliverer({
    outbox: store.outbox, url: receiver.url, secret: SECRET, timeoutMs: 5000, maxAgeMs: 3600_000, instanceId, log,
    metrics: new Metrics(), baseDelayMs: 20, maxDelayMs: 200, pollMs: 20, ...over,
  });
}

/** Ends `n` calls through the store, with the post-call hook writing their events. */
async function endCalls(store: Store, n: number, prefix: string, now?: () => number): Promise<string[]> {
  store.calls.onEnd(postCallHook({ publicUrl: 'http://bridge.test', analysisWaitMs: 0, now }));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    await store.calls.insert({ id, direction: 'inbound', provider: 'twilio', providerCallId: `CA${prefix}${i}`, fromNumber: '+15550001111', toNumber: '+15550002222', agentId: 'agent_x', status: 'in-progress' });
    await store.calls.end(id, { providerStatus: 'completed', reason: 'caller-hangup', transcript: [{ role: 'user', text: `call ${i}`, at: 1500 }] });
    ids.push(id);
  }
  return ids;
}

for (const engine of all) {
  describe(`webhook outbox on ${engine.name}`, () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
      cleanup.length = 0;
    });

    it.skipIf(engine.skip)('receiver down for the first attempts: every event delivered once, in order per call', { timeout: 60_000 }, async () => {
      const { store, cleanup: close } = await engine.open();
      cleanup.push(close);
      const DOWN = 7;
      const receiver = await startReceiver({ secret: SECRET, answer: (n) => (n < DOWN ? 503 : undefined) });
      cleanup.push(() => receiver.close());
      const ids = await endCalls(store, 4, 'down');
      // A call with several events: they must arrive in the order they were written.
      const now = Date.now();
      for (let k = 0; k < 3; k++) await enqueueOutboxEvent(store.database.db, { callId: 'multi', type: 'test_event', body: JSON.stringify({ type: 'test_event', k }) }, now);
      const d = deliverer(store, receiver, 'inst-a');
      cleanup.push(() => d.stop());
      d.start();
      await receiver.waitFor((r) => r.requests.length >= DOWN);
      const pendingWhileDown = await store.outbox.list({ status: ['pending'] });
      expect(pendingWhileDown.length).toBeGreaterThan(0);
      await receiver.waitFor((r) => r.accepted().length === 7, 30_000);
      await d.stop();
      const accepted = receiver.accepted();
      const keys = accepted.map((a) => a.idempotencyKey);
      expect(new Set(keys).size).toBe(7); // once each
      expect(receiver.rejectedSignatures).toEqual([]);
      expect(accepted.filter((a) => a.event.type === 'post_call_transcription').map((a) => a.event.data.bridge.call_id).sort()).toEqual(ids);
      expect(accepted.filter((a) => a.event.type === 'test_event').map((a) => (a.event as unknown as { k: number }).k)).toEqual([0, 1, 2]);
      // Retried requests reused the event's key; a failed attempt was recorded.
      const retried = receiver.requests.filter((q) => q.answered === 503).map((q) => q.idempotencyKey);
      expect(retried.every((k) => keys.includes(k))).toBe(true);
      const rows = await Promise.all(keys.map((k) => store.outbox.get(k)));
      expect(rows.every((r) => r?.status === 'delivered')).toBe(true);
      expect(rows.some((r) => (r?.attempts ?? 0) > 1)).toBe(true);
      expect((await store.outbox.counts()).pending).toBe(0);
    });

    it.skipIf(engine.skip)('410 Gone stops retrying; the failure is listed with its last error', async () => {
      const { store, cleanup: close } = await engine.open();
      cleanup.push(close);
      // The first event's key is gone (410); later events are accepted.
      let goneKey: string | undefined;
      const receiver = await startReceiver({ secret: SECRET, answer: (_n, key) => ((goneKey ??= key) === key ? 410 : undefined) });
      cleanup.push(() => receiver.close());
      await endCalls(store, 1, 'gone');
      const d = deliverer(store, receiver, 'inst-a');
      cleanup.push(() => d.stop());
      d.start();
      await receiver.waitFor((r) => r.requests.length === 1);
      await waitUntil(async () => (await store.outbox.list({ status: ['failed'] })).length === 1);
      const [failed] = await store.outbox.list();
      expect(failed).toMatchObject({ status: 'failed', lastStatus: 410, attempts: 1 });
      // Not retried: a later event, delivered by a later round of the same deliverer, comes without it.
      await store.calls.insert({ id: 'later-0', direction: 'inbound', provider: 'twilio', providerCallId: 'CAlater0', fromNumber: '+15550001111', toNumber: '+15550002222', agentId: 'agent_x', status: 'in-progress' });
      await store.calls.end('later-0', { providerStatus: 'completed', reason: 'caller-hangup', transcript: [] });
      await receiver.waitFor((r) => r.accepted().length === 1);
      expect(receiver.requests.filter((q) => q.idempotencyKey === goneKey)).toHaveLength(1);
      expect(receiver.requests).toHaveLength(2);
    });

    it.skipIf(engine.skip)("a dead instance's lease expires and another instance delivers its event", async () => {
      let clock = Date.now();
      const { store, cleanup: close } = await engine.open({ now: () => clock });
      cleanup.push(close);
      const receiver = await startReceiver({ secret: SECRET });
      cleanup.push(() => receiver.close());
      await endCalls(store, 1, 'lease', () => clock);
      const claimed = await store.outbox.claim('dead-instance', 60_000, 10);
      expect(claimed).toHaveLength(1);
      expect(await store.outbox.claim('live-instance', 60_000, 10)).toEqual([]); // leased: not sent by anyone else
      clock += 60_001;
      const d = deliverer(store, receiver, 'live-instance', { now: () => clock });
      cleanup.push(() => d.stop());
      expect(await d.runOnce()).toBe(1);
      expect(receiver.accepted()).toHaveLength(1);
      // The dead instance cannot settle the row any more.
      expect(await store.outbox.delivered(claimed[0]!.seq, 'dead-instance', 200)).toBe(false);
    });

    if (engine.name === 'postgres') it.skipIf(engine.skip)('two instances on one PostgreSQL: no event sent twice, none at the same time', { timeout: 60_000 }, async () => {
      const { store, cleanup: close } = await engine.open();
      cleanup.push(close);
      const { store: other, cleanup: closeOther } = await reopen(store);
      cleanup.push(closeOther);
      const receiver = await startReceiver({ secret: SECRET, delayMs: 60, answer: (n) => (n % 5 === 0 ? 500 : undefined) });
      cleanup.push(() => receiver.close());
      const N = 40;
      await endCalls(store, N, 'pg2');
      const metricsA = new Metrics();
      const metricsB = new Metrics();
      const a = deliverer(store, receiver, 'inst-a', { batch: 4, metrics: metricsA });
      const b = deliverer(other, receiver, 'inst-b', { batch: 4, metrics: metricsB });
      cleanup.push(() => a.stop(), () => b.stop());
      a.start();
      b.start();
      await receiver.waitFor((r) => r.accepted().length >= N, 45_000);
      // Stopping waits for requests in flight; a further round of each finds nothing left to send.
      await Promise.all([a.stop(), b.stop()]);
      expect([await a.runOnce(), await b.runOnce()]).toEqual([0, 0]);
      const keys = receiver.accepted().map((q) => q.idempotencyKey);
      expect(keys.length).toBe(N);
      expect(new Set(keys).size).toBe(N);
      expect(receiver.maxConcurrentPerKey).toBe(1);
      const owners = new Set((await Promise.all(keys.map((k) => store.outbox.get(k)))).map((r) => r?.status));
      expect([...owners]).toEqual(['delivered']);
      const deliveredBy = async (m: Metrics) => (await m.webhookDeliveries.get()).values.find((v) => v.labels.outcome === 'delivered')?.value ?? 0;
      const [byA, byB] = [await deliveredBy(metricsA), await deliveredBy(metricsB)];
      expect(byA + byB).toBe(N);
      expect(Math.min(byA, byB)).toBeGreaterThan(0); // both instances really worked
      console.info(`two instances: ${N} events (${byA} by a, ${byB} by b), ${receiver.requests.length} requests (incl. answered 500), max in flight per key ${receiver.maxConcurrentPerKey}`);
    });
  });
}

async function waitUntil(pred: () => Promise<boolean>): Promise<void> {
  await waitFor(pred, { what: 'outbox condition' });
}

/** A second, independent connection pool on the same PostgreSQL schema (another instance). */
async function reopen(store: Store): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const { openStore } = await import('../../src/store/index.js');
  const { TEST_DATABASE_URL } = await import('../support/postgres.js');
  const schema = /\(schema (\w+)\)/.exec(store.database.location)![1]!;
  const second = await openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
  return { store: second, cleanup: () => second.close() };
}
