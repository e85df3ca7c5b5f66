import { afterEach, describe, expect, it } from 'vitest';
import { Reconciler } from '../../src/campaigns/reconciler.js';
import { RecipientLedger } from '../../src/campaigns/ledger.js';
import type { DialIntent, ProviderCall } from '../../src/campaigns/reconcile-port.js';
import { engines } from '../store/engines.js';
import { openHarness, quietLog, type Harness } from './support/harness.js';

const all = await engines();

describe.each(all)('reconciler on $name', (engine) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it.skipIf(engine.skip)('settles intents left by a dead run: never placed → pending (attempt not counted), ended → result, live → status', async () => {
    const t = (h = await openHarness(engine));
    const id = await t.campaign('crash', {}, ['+33612349001', '+33612349002', '+33612349003', '+33612349004']);
    // Simulate a crash: rows claimed (intent stored), as the dead process left them.
    const { db, dialect } = t.store.database;
    await db.updateTable('campaign_recipients').set({ status: 'dialing', attempts: 1, claimed_by: 'bridge-a', dial_intent_at: t.clock.now(), updated_at: t.clock.now() }).execute();
    await db.updateTable('campaign_recipients').set({ outcome: JSON.stringify({ providerCallId: 'CA-live' }) }).where('phone_number', '=', '+33612349003').execute();
    t.clock.advance(1000);
    const asked: DialIntent[] = [];
    const answers: Record<string, ProviderCall | null> = {
      '+33612349001': null,
      '+33612349002': { providerCallId: 'CA-busy', status: 'busy' },
      '+33612349003': { providerCallId: 'CA-live', status: 'in-progress', answeredBy: 'human' },
      '+33612349004': { providerCallId: 'CA-vm', status: 'completed', answeredBy: 'machine_end_beep' },
    };
    const lookup = { findCall: async (i: DialIntent) => (asked.push(i), answers[i.to] ?? null) };
    const ledger = new RecipientLedger(db, dialect, () => t.clock.now());
    const run = (instanceId: string) => new Reconciler({ db, ledger, recorder: t.recorder, lookup, instanceId, clock: t.clock, log: quietLog, staleAfterMs: 60_000 }).run();

    expect((await run('bridge-b')).checked).toBe(0); // another live instance's fresh rows are not touched
    expect(await run('bridge-a')).toEqual({ checked: 4, released: 1, finished: 2, live: 1, errors: 0 });
    expect(asked.find((i) => i.to === '+33612349003')!.providerCallId).toBe('CA-live');
    const byPhone = async (p: string) => (await t.store.recipients.findByPhone(id, p))!;
    expect([(await byPhone('+33612349001')).status, (await byPhone('+33612349001')).attempts]).toEqual(['pending', 0]);
    expect((await byPhone('+33612349002')).status).toBe('busy');
    expect((await byPhone('+33612349003')).status).toBe('in-progress');
    expect((await byPhone('+33612349004')).status).toBe('voicemail');
    // The released recipient is dialled again (once); the others are not.
    expect(await t.tick()).toBe(1);
    expect(t.dialer.dials.map((d) => d.to)).toEqual(['+33612349001']);
  });
});
