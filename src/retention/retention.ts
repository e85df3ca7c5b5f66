import type { Logger } from '../logger.js';
import type { Recordings } from '../recording/recordings.js';
import type { Store } from '../store/index.js';

export interface RetentionOptions {
  store: Store;
  recordings: Recordings;
  days: number;
  log: Logger;
  /** Default hourly. */
  intervalMs?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;

/**
 * RETENTION_DAYS: transcripts and recordings of calls that ended longer ago
 * are deleted (the call's metadata stays), and so are settled webhook events,
 * whose bodies hold the transcript too. Runs at start, then hourly.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RetentionOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 3600_000);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; a pass still running is not started twice. */
  kick(): void {
    this.running ??= this.runOnce()
      .catch((err: Error) => this.opts.log.error({ err: err.message }, 'retention pass failed; next pass retries'))
      .finally(() => (this.running = undefined));
  }

  async runOnce(): Promise<{ calls: number; files: number; events: number }> {
    const cutoff = this.now() - this.opts.days * DAY_MS;
    let calls = 0;
    let files = 0;
    for (;;) {
      const ids = await this.opts.store.history.purgeContentBefore(cutoff);
      calls += ids.length;
      for (const id of ids) if (await this.opts.recordings.remove(id).catch(() => false)) files++;
      if (ids.length < 500) break;
    }
    const events = await this.opts.store.outbox.deleteSettledBefore(cutoff);
    if (calls || events) this.opts.log.info({ calls, files, events, days: this.opts.days }, 'retention: deleted old transcripts and recordings');
    return { calls, files, events };
  }
}
