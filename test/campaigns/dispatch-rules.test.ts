import { afterEach, describe, expect, it } from 'vitest';
import { claimDue } from '../../src/campaigns/claims.js';
import { engines } from '../store/engines.js';
import { openHarness, type Harness } from './support/harness.js';

const all = await engines();
const HOUR = 3600_000;

describe.each(all)('dispatch rules with a fake clock on $name', (engine) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });
  const open = async (opts?: Parameters<typeof openHarness>[1]) => (h = await openHarness(engine, opts));

  it.skipIf(engine.skip)('calls each recipient only inside the window of its own time zone and allowed days', async () => {
    const t = await open();
    // Monday 12:00 UTC: Paris 13:00 (open), New York 07:00 (closed), Tokyo 21:00 (closed).
    await t.campaign('window', { window: { start: '09:00', end: '17:00' }, timezone: 'America/New_York', days: [1, 2, 3, 4, 5] }, [
      { phone: '+33612345601', timezone: 'Europe/Paris' },
      { phone: '+12125550101', timezone: null },
      { phone: '+81312345678', timezone: 'Asia/Tokyo' },
    ]);
    expect(await t.tick()).toBe(1);
    expect(t.dialer.dials.map((d) => d.to)).toEqual(['+33612345601']);
    t.clock.advance(2 * HOUR); // 14:00 UTC: New York 09:00 opens.
    expect(await t.tick()).toBe(1);
    expect(t.dialer.dials.at(-1)!.to).toBe('+12125550101');
    t.clock.advance(10 * HOUR); // Tuesday 00:00 UTC: Tokyo 09:00.
    expect(await t.tick()).toBe(1);
    expect(t.dialer.dials.at(-1)!.to).toBe('+81312345678');
  });

  it.skipIf(engine.skip)('does not call on a day outside the campaign days, then calls on the next allowed day', async () => {
    const t = await open();
    t.clock.set(Date.UTC(2025, 0, 4, 12)); // Saturday, Paris 13:00
    await t.campaign('weekdays', { window: { start: '09:00', end: '18:00' }, days: [1, 2, 3, 4, 5] }, [{ phone: '+33612345602', timezone: 'Europe/Paris' }]);
    expect(await t.tick()).toBe(0);
    t.clock.set(Date.UTC(2025, 0, 6, 7, 59)); // Monday 08:59 Paris
    expect(await t.tick()).toBe(0);
    t.clock.advance(60_000); // 09:00 Paris
    expect(await t.tick()).toBe(1);
  });

  it.skipIf(engine.skip)('a scheduled campaign waits for its time, then runs', async () => {
    const t = await open();
    const id = await t.campaign('later', {}, ['+33612345603'], t.clock.now() + HOUR);
    expect((await t.service.status(id)).status).toBe('scheduled');
    expect(await t.tick()).toBe(0);
    t.clock.advance(HOUR - 1);
    expect(await t.tick()).toBe(0);
    t.clock.advance(1);
    expect(await t.tick()).toBe(1);
    expect((await t.service.status(id)).status).toBe('running');
  });

  it.skipIf(engine.skip)('a claim takes nothing from a campaign cancelled or paused after the round listed it as running', async () => {
    const t = await open();
    const id = await t.campaign('stopping', {}, ['+33612345610', '+33612345611']);
    // The dispatcher listed the campaign as running; a cancel (or pause) lands before its claim.
    await t.service.pause(id);
    const { db, dialect } = t.store.database;
    const slices = [{ campaignId: id, zones: [], defaultOpen: true }];
    const claim = () => claimDue(db, dialect, { instanceId: 'test-1', now: t.clock.now(), slices, room: () => 10 });
    expect((await claim()).claimed).toEqual([]);
    await t.service.resume(id);
    expect((await claim()).claimed.map((r) => r.phoneNumber)).toEqual(['+33612345610', '+33612345611']);
  });

  it.skipIf(engine.skip)('skips numbers on the do-not-call list at creation and at dial time', async () => {
    const t = await open();
    await t.service.addDoNotCall(['+33612345604'], 'asked at creation');
    const id = await t.campaign('dnc', {}, ['+33612345604', '+33612345605', '+33612345606']);
    await t.service.addDoNotCall(['+33612345605'], 'asked later');
    expect(await t.tick()).toBe(1);
    expect(t.dialer.dials.map((d) => d.to)).toEqual(['+33612345606']);
    const view = await t.service.status(id);
    expect(view.counts['skipped-dnc']).toBe(2);
    const later = await t.store.recipients.findByPhone(id, '+33612345605');
    expect([later!.status, later!.attempts]).toEqual(['skipped-dnc', 0]);
    await t.report(0, 'completed');
    expect((await t.service.status(id)).status).toBe('completed');
  });

  it.skipIf(engine.skip)('campaigns share at most their share of the limit, minus inbound load, fairly', async () => {
    let inbound = 0;
    const t = await open({ maxConcurrentCalls: 10, concurrencyShare: 0.6, activeInbound: () => inbound });
    const a = await t.campaign('a', {}, Array.from({ length: 10 }, (_, i) => `+336123457${String(i).padStart(2, '0')}`));
    const b = await t.campaign('b', {}, Array.from({ length: 10 }, (_, i) => `+336123458${String(i).padStart(2, '0')}`));
    expect(await t.tick()).toBe(6); // 60 % of 10
    const per = (id: string) => t.dialer.dials.filter((d) => d.campaignId === id).length;
    expect([per(a), per(b)]).toEqual([3, 3]);
    expect(await t.tick()).toBe(0);
    await t.report(0, 'completed');
    await t.report(1, 'completed');
    inbound = 7; // 6 - 2 outbound + 7 inbound: only 10 - 4 - 7 < 0 left
    expect(await t.tick()).toBe(0);
    inbound = 5; // room = min(6 - 4, 10 - 4 - 5) = 1
    expect(await t.tick()).toBe(1);
  });

  it.skipIf(engine.skip)('keeps at most one second of dials (CALLS_PER_SECOND) waiting for a pacing slot', async () => {
    const t = await open({ callsPerSecond: 2 });
    await t.campaign('cps', {}, Array.from({ length: 10 }, (_, i) => `+336123459${String(i).padStart(2, '0')}`));
    t.dialer.hold(); // the dialer is waiting for the account's dial slots
    expect(await t.dispatcher.tick()).toBe(2);
    expect(await t.dispatcher.tick()).toBe(0);
    t.clock.advance(5000);
    expect(await t.dispatcher.tick()).toBe(0); // idle time never saves up a burst
    t.dialer.release();
    await t.dispatcher.settled();
    expect(await t.dispatcher.tick()).toBe(2);
    await t.dispatcher.settled();
  });
});
