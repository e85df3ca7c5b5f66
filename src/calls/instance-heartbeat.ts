import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/**
 * Each instance's row in `instances`, beaten every `everyMs`. After a SIGKILL
 * nothing marks the end, so the last beat of the previous run is the best
 * record of when it died: calls that cannot be completed from the provider
 * are ended at that time.
 */
export class InstanceHeartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    readonly instanceId: string,
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers this run; returns the previous run's last beat (its crash time), if there was one. */
  async start(): Promise<number | undefined> {
    const now = this.now();
    const previous = await this.db.selectFrom('instances').select('heartbeat_at').where('id', '=', this.instanceId).executeTakeFirst();
    await this.db
      .insertInto('instances')
      .values({ id: this.instanceId, started_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: now, heartbeat_at: now }))
      .execute();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.everyMs);
    this.timer.unref();
    return previous?.heartbeat_at;
  }

  async beat(): Promise<void> {
    await this.db.updateTable('instances').set({ heartbeat_at: this.now() }).where('id', '=', this.instanceId).execute();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
