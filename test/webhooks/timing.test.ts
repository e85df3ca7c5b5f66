/** Timer logic with fake timers: webhook backoff, and retention running at start then hourly. */
import { mkdtempSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { Recordings, fileName } from '../../src/recording/recordings.js';
import { Retention } from '../../src/retention/retention.js';
import { openStore, type Store } from '../../src/store/index.js';
import { retryDelayMs } from '../../src/webhooks/backoff.js';

describe('webhook retry backoff', () => {
  const opts = { baseMs: 1000, maxMs: 15 * 60_000 };
  it('doubles per attempt between half and all of the nominal delay, capped', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const nominal = Math.min(opts.maxMs, 1000 * 2 ** (attempt - 1));
      expect(retryDelayMs(attempt, opts, () => 0)).toBe(nominal / 2);
      expect(retryDelayMs(attempt, opts, () => 0.999999)).toBeLessThanOrEqual(nominal);
      expect(retryDelayMs(attempt, opts, () => 0.999999)).toBeGreaterThan(nominal * 0.99);
    }
    expect(retryDelayMs(40, opts, () => 1)).toBe(opts.maxMs);
  });

  it('24 h of retries (the default WEBHOOK_MAX_AGE_HOURS) is about 100 attempts at the cap', () => {
    let t = 0;
    let attempts = 0;
    while (t < 24 * 3600_000) t += retryDelayMs(++attempts, opts, () => 0.5);
    expect(attempts).toBeGreaterThan(90);
    expect(attempts).toBeLessThan(140);
  });
});

describe('retention (fake timers, real SQLite, real files)', () => {
  let store: Store;
  let dataDir: string;
  const DAY = 86_400_000;
  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T00:00:00Z'), toFake: ['setTimeout', 'setInterval', 'clearInterval', 'clearTimeout', 'Date'] });
    dataDir = mkdtempSync(join(tmpdir(), 'retention-'));
    store = await openStore({ dataDir });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });

  async function endedCall(id: string, endedAt: number, recordings: Recordings): Promise<string> {
    await store.calls.insert({ id, direction: 'inbound', provider: 'twilio', status: 'in-progress', createdAt: endedAt - 60_000 });
    mkdirSync(recordings.dir, { recursive: true });
    const path = join(recordings.dir, fileName(id));
    writeFileSync(path, 'RIFF');
    await store.calls.end(id, { providerStatus: 'completed', reason: 'caller-hangup', at: endedAt, transcript: [{ role: 'user', text: 'my card is 4111', at: 1000 }], metadata: { recording: { file: fileName(id) } } });
    return path;
  }

  it('at start it deletes transcripts and recordings of calls older than RETENTION_DAYS, then again every hour; metadata stays', async () => {
    const recordings = new Recordings(dataDir, createLogger('silent'));
    const now = Date.now();
    const old = await endedCall('old', now - 31 * DAY, recordings);
    const soon = await endedCall('soon', now - 30 * DAY + 30 * 60_000, recordings); // 30 days old in 30 minutes
    const fresh = await endedCall('fresh', now - 1 * DAY, recordings);
    const retention = new Retention({ store, recordings, days: 30, log: createLogger('silent') });
    const first = await retention.runOnce();
    expect(first.calls).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(soon)).toBe(true);
    const purged = (await store.calls.get('old'))!;
    expect(purged.transcript).toBeNull();
    expect(purged.purgedAt).not.toBeNull();
    expect(purged.endReason).toBe('caller-hangup');
    expect(purged.metadata).toMatchObject({ recording: { file: fileName('old') } });

    retention.start(); // runs at once (nothing new), then hourly
    await vi.advanceTimersByTimeAsync(59 * 60_000);
    expect(existsSync(soon)).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000 + 10);
    await vi.waitFor(() => expect(existsSync(soon)).toBe(false));
    expect((await store.calls.get('soon'))!.transcript).toBeNull();
    expect(existsSync(fresh)).toBe(true);
    expect((await store.calls.get('fresh'))!.transcript).toHaveLength(1);
    retention.stop();
  });
});
