import { sql, type Kysely } from 'kysely';
import type { Clock } from '../campaigns/clock.js';
import type { Dialect } from '../store/dialect.js';
import type { Database } from '../store/schema.js';

/** Gate before every provider dial (REST create), whatever asked for it: campaigns, the API, retries. */
export interface DialPacer {
  /** Resolves when this process may send one dial now, with the slot's time (epoch ms on the ledger's clock). */
  next(signal?: AbortSignal): Promise<number>;
}

const ACCOUNT_ROW = 'account';

/**
 * CALLS_PER_SECOND as the ACCOUNT's rate, shared by every instance through
 * the database: one `dial_pacing` row holds the time of the last dial sent
 * by any instance. A dial is allowed only by the conditional UPDATE that
 * moves it forward (`WHERE last_at <= now - interval`), so two instances can
 * never take the same slot: PostgreSQL serialises the UPDATE on the row lock
 * (no separate SELECT … FOR UPDATE needed, the UPDATE takes it), SQLite has
 * one writer. Spacing is strict (one dial per interval, never a burst after
 * idle) and the slot is taken at send time, so a dial that wakes late does
 * not squeeze the next one closer.
 *
 * On PostgreSQL the time is the database's (`clock_timestamp()`), so instances
 * on hosts whose clocks disagree still share one timeline.
 */
export class SharedDialPacer implements DialPacer {
  private readonly intervalMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    callsPerSecond: number,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {
    if (!(callsPerSecond > 0)) throw new Error(`calls per second must be positive, got ${callsPerSecond}`);
    this.intervalMs = Math.ceil(1000 / callsPerSecond);
  }

  /** One waiter per process polls the ledger at a time; the others queue behind it in order. */
  next(signal?: AbortSignal): Promise<number> {
    const turn = this.chain.then(() => this.acquire(signal));
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  private async acquire(signal?: AbortSignal): Promise<number> {
    this.ready ??= this.ensureRow();
    await this.ready;
    for (;;) {
      if (signal?.aborted) throw new Error('dial pacing aborted');
      const taken = await this.tryTake();
      if ('slot' in taken) return taken.slot;
      const waitMs = taken.waitMs;
      // A little jitter so instances waiting for the same slot do not all ask at the same instant.
      await this.clock.sleep(waitMs + Math.floor(this.random() * 3), signal);
    }
  }

  /** The slot's time when taken, else how long until the next one is free. */
  private async tryTake(): Promise<{ slot: number } | { waitMs: number }> {
    const now = this.nowExpr();
    const taken = await this.db
      .updateTable('dial_pacing')
      .set({ last_at: now })
      .where('id', '=', ACCOUNT_ROW)
      .where('last_at', '<=', sql<number>`${now} - ${this.intervalMs}`)
      .returning('last_at')
      .executeTakeFirst();
    if (taken) return { slot: Number(taken.last_at) };
    const row = await this.db
      .selectFrom('dial_pacing')
      .select(['last_at', now.as('now')])
      .where('id', '=', ACCOUNT_ROW)
      .executeTakeFirstOrThrow();
    return { waitMs: Math.max(1, Number(row.last_at) + this.intervalMs - Number(row.now)) };
  }

  private nowExpr() {
    return this.dialect === 'postgres'
      ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
      : sql<number>`${this.clock.now()}`;
  }

  private async ensureRow(): Promise<void> {
    await this.db.insertInto('dial_pacing').values({ id: ACCOUNT_ROW, last_at: 0 }).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
}
