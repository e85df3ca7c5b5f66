/** Call history on both engines: filters and keyset pagination that neither repeats nor skips. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { engines } from './engines.js';

const all = await engines();

async function seed(store: Store): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const id = `call-${String(i).padStart(2, '0')}`;
    await store.calls.insert({
      id, direction: i % 2 ? 'outbound' : 'inbound', provider: 'twilio', fromNumber: i % 5 === 0 ? '+15550000005' : '+15550000001',
      toNumber: '+15550000002', status: 'in-progress', createdAt: 1_000_000 + Math.floor(i / 2) * 1000, // pairs share a created_at
    });
    await store.calls.end(id, { providerStatus: i % 3 ? 'completed' : 'no-answer', reason: 'caller-hangup', at: 2_000_000 + i });
  }
  await store.calls.insert({ id: 'live', direction: 'inbound', provider: 'twilio', status: 'in-progress', createdAt: 3_000_000 });
}

for (const engine of all) {
  describe(`call history on ${engine.name}`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => { await cleanup?.(); cleanup = undefined; });

    it.skipIf(engine.skip)('pages through ended calls newest first, every call once, with filters', async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      const store = opened.store;
      await seed(store);
      const seen: string[] = [];
      let before: { createdAt: number; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await store.history.list({ limit: 4, before });
        seen.push(...r.calls.map((c) => c.id));
        if (!r.next) break;
        const dot = r.next.indexOf('.');
        before = { createdAt: Number(r.next.slice(0, dot)), id: r.next.slice(dot + 1) };
      }
      const expected = Array.from({ length: 25 }, (_, i) => `call-${String(24 - i).padStart(2, '0')}`);
      expect(seen).toEqual(expected); // newest first, ties by id, 'live' (not ended) excluded
      expect((await store.history.list({ direction: 'outbound', limit: 100 })).calls).toHaveLength(12);
      expect((await store.history.list({ status: ['no-answer'], limit: 100 })).calls.map((c) => c.id).sort()).toEqual(['call-00', 'call-03', 'call-06', 'call-09', 'call-12', 'call-15', 'call-18', 'call-21', 'call-24']);
      expect((await store.history.list({ number: '+15550000005', limit: 100 })).calls).toHaveLength(5);
      expect((await store.history.list({ since: 1_002_000, until: 1_004_000, limit: 100 })).calls.map((c) => c.id).sort()).toEqual(['call-04', 'call-05', 'call-06', 'call-07']);
    });
  });
}
