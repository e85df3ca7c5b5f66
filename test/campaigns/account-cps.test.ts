/**
 * CALLS_PER_SECOND is the account's rate: three instances (separate
 * processes, separate connections) on one PostgreSQL together never send
 * more REST creates than that in any 1 s window, measured where Twilio would
 * count them: at the stand-in, by arrival time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/campaigns/settings.js';
import { startTwilioStandin } from '../../tools/twilio-standin/index.js';
import { freePort, startEngineChild } from './support/child.js';
import { sharedDbs } from './support/shared-db.js';
import { serveCallsTo } from './support/standin-list.js';
import { waitFor } from './support/wait.js';

const postgres = (await sharedDbs()).find((d) => d.name === 'postgres')!;
const CPS = 5;
const N = 60;

/** Most timestamps (ms) inside any window [t, t + 1000). */
export function maxInAnySecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('account-wide dial rate over three instances on PostgreSQL', () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    cleanup = [];
  });

  it.skipIf(postgres.skip)(`never more than CALLS_PER_SECOND=${CPS} creates in any 1 s window, no burst at the start`, { timeout: 120_000 }, async () => {
    const opened = await postgres.open();
    cleanup.push(opened.cleanup);
    const standin = await startTwilioStandin({ farEnds: () => ({ kind: 'human', ringMs: 20 }), timeScale: 0.02, verbTimeScale: 0.05 });
    const list = await serveCallsTo(standin);
    cleanup.push(async () => { await standin.close(); await list.close(); });
    const created = await opened.store.campaigns.create(
      { name: 'cps', type: 'agent', agentId: 'agent_1', status: 'running', settings: { ...DEFAULT_SETTINGS, window: undefined } },
      Array.from({ length: N }, (_, i) => ({ phoneNumber: `+1415557${String(1000 + i)}` })),
    );
    const env = {
      ...opened.childEnv, CHILD_STANDIN_URL: standin.url, CHILD_ACCOUNT_SID: standin.accountSid, CHILD_AUTH_TOKEN: standin.authToken,
      CHILD_LIST_URL: list.url, CHILD_TALK_SECONDS: '1', CHILD_PACE_CPS: String(CPS), CHILD_CPS: String(CPS),
    };
    const children = await Promise.all(['cps-a', 'cps-b', 'cps-c'].map(async (id) => startEngineChild({ ...env, CHILD_INSTANCE_ID: id, CHILD_RECEIVER_PORT: String(await freePort()) })));
    for (const c of children) cleanup.push(c.stop);
    await waitFor(async () => ((await opened.store.campaigns.get(created.campaign.id))!.status === 'completed' ? true : undefined), 90_000);
    const requests = standin.requests.filter((r) => r.method === 'POST' && /\/Calls\.json$/.test(r.path) && r.status === 201);
    expect(requests).toHaveLength(N);
    // The slot the shared ledger gave each dial (PostgreSQL's clock: one timeline for every process).
    const admitted = requests.map((r) => Number(new URL(r.params.StatusCallback![0]!).searchParams.get('admitted')));
    const worst = maxInAnySecond(admitted);
    const sorted = [...admitted].sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
    // Where Twilio would count: arrival at the stand-in, which adds each process's send delay (scheduling on a busy host).
    const arrivals = requests.map((r) => r.atMs);
    const rows = await opened.store.recipients.list(created.campaign.id, { limit: 1000 });
    const by = (id: string) => rows.filter((r) => r.claimedBy === id).length;
    console.info(`account CPS ${CPS} over 3 instances: ${N} creates in ${Math.round(sorted.at(-1)! - sorted[0]!)} ms; admitted: max ${worst} in any 1 s window, min gap ${Math.round(Math.min(...gaps))} ms; arrived at the stand-in: max ${maxInAnySecond(arrivals)} in any 1 s window; per instance a=${by('cps-a')} b=${by('cps-b')} c=${by('cps-c')}`);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / CPS - 1);
    expect(worst).toBeLessThanOrEqual(CPS);
    expect(maxInAnySecond(sorted.slice(0, CPS + 1))).toBeLessThanOrEqual(CPS); // no burst at the start
    expect([by('cps-a'), by('cps-b'), by('cps-c')].filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });
});
