/**
 * The account's dial pacing on a real SQLite store with a manual clock:
 * strict spacing (one dial per 1/CPS s), nothing saved up while idle, and
 * waiters served in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SharedDialPacer } from '../../src/calls/dial-pacer.js';
import { ManualClock } from '../../src/campaigns/clock.js';
import { engines } from '../store/engines.js';

const [sqlite] = await engines();

describe('SharedDialPacer (SQLite, manual clock)', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('spaces dials strictly at 1/CPS and never bursts after idle', async () => {
    const clock = new ManualClock(1_000_000);
    const opened = await sqlite!.open({ now: () => clock.now() });
    cleanup = opened.cleanup;
    const pacer = new SharedDialPacer(opened.store.database.db, 'sqlite', 4, clock, () => 0);
    const sent: number[] = [];
    const dial = () => pacer.next().then(() => void sent.push(clock.now()));
    const waiting = [dial(), dial(), dial()];
    // Only the first may go now; each later one needs the clock to reach its slot.
    await waitUntil(() => sent.length === 1);
    for (let step = 0; step < 2; step++) {
      clock.advance(249);
      await settle();
      expect(sent).toHaveLength(step + 1);
      clock.advance(1);
      await waitUntil(() => sent.length === step + 2);
    }
    await Promise.all(waiting);
    expect(sent).toEqual([1_000_000, 1_000_250, 1_000_500]);

    clock.advance(60_000); // a long idle time saves nothing up
    const after = [dial(), dial()];
    await waitUntil(() => sent.length === 4);
    await settle();
    expect(sent).toHaveLength(4);
    clock.advance(250);
    await Promise.all(after);
    expect(sent.slice(3)).toEqual([1_060_500, 1_060_750]);
  });
});

/** Lets queued promise work and the database round trips run (real I/O, no timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}
