/**
 * SIGKILL a bridge with calls live, restart it (same INSTANCE_ID): every call
 * record it owned is closed. Calls the Twilio stand-in can tell about are
 * completed from it (REST fetch through the official client: its status and
 * end time, reason `lost` since their media died with the process); a record
 * with no CallSid (its REST answer died with the process) is ended `lost` at
 * the crash time (the last heartbeat).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { startReferenceAgent, type ReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { startTwilioStandin, type TwilioStandin } from '../../tools/twilio-standin/rest-server.js';
import { ACCOUNT_SID, AGENT_ID, API_TOKEN, AUTH_TOKEN, FROM_NUMBER, freePort, XI_API_KEY } from '../support/bridge-harness.js';
import { startBridgeChild, type BridgeChild } from './support/bridge-child.js';

const N = 6;
const numbers = Array.from({ length: N }, (_, i) => `+1415555${4000 + i}`);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

describe('SIGKILL with calls live, then restart', () => {
  it('every call record the dead process owned is closed: from the provider, or lost at the crash time', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigkill-records-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dbFile = join(dir, 'bridge.sqlite');
    // People who answer and stay on the line until the bridge goes away.
    const twilio: TwilioStandin = await startTwilioStandin({
      accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, farEnds: farEndsByNumber(Object.fromEntries(numbers.map((n) => [n, { kind: 'human', ringMs: 50 }]))),
    });
    cleanup.push(() => twilio.close());
    const agent: ReferenceAgent = await startReferenceAgent({ apiKey: XI_API_KEY, agents: [{ agentId: AGENT_ID, requireAuth: true, mode: 'scripted' }] });
    cleanup.push(() => agent.close());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, LOG_LEVEL: 'silent', DATABASE_URL: dbFile, INSTANCE_ID: 'bridge-k',
      TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_URL: twilio.url, TWILIO_FROM_NUMBER: FROM_NUMBER,
      ELEVENLABS_API_URL: agent.url, ELEVENLABS_API_KEY: XI_API_KEY, ELEVENLABS_AGENT_ID: AGENT_ID, API_TOKEN,
      INSTANCE_HEARTBEAT_MS: '200', CALLS_PER_SECOND: '20', MAX_CONCURRENT_CALLS: '20',
    };
    let child: BridgeChild = await startBridgeChild(env);
    cleanup.push(() => child.stop());
    const store: Store = await openStore({ url: dbFile });
    cleanup.push(() => store.close());

    for (const to of numbers) {
      const res = await fetch(`${url}/calls`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      expect(res.status).toBe(201);
    }
    // Every call talking to the agent through the child (its media held there).
    await expect.poll(async () => (await store.database.db.selectFrom('calls').select('id').where('media_at', 'is not', null).where('state', '=', 'in-progress').execute()).length, { timeout: 60_000, interval: 100 }).toBe(N);
    // A dial whose REST answer died with the process: no CallSid to ask about.
    await store.calls.insert({ id: 'no-sid', direction: 'outbound', provider: 'twilio', toNumber: '+14155554999', instanceId: 'bridge-k' });
    const lastBeatBefore = (await store.database.db.selectFrom('instances').select('heartbeat_at').where('id', '=', 'bridge-k').executeTakeFirstOrThrow()).heartbeat_at;
    const killedAt = Date.now();
    await child.kill9();
    const open = await store.database.db.selectFrom('calls').select('id').where('state', '<>', 'ended').execute();
    expect(open).toHaveLength(N + 1); // nobody closed them
    await twilio.settled(); // Twilio ends each call once its stream is gone

    child = await startBridgeChild(env);
    expect(child.records).toMatchObject({ open: N + 1, fromProvider: N, lost: 1, live: 0, hungUp: 0 });
    const rows = await store.database.db.selectFrom('calls').selectAll().execute();
    expect(rows.filter((r) => r.state !== 'ended')).toEqual([]);
    for (const r of rows.filter((x) => x.id !== 'no-sid')) {
      const atProvider = twilio.calls.get(r.provider_call_id!)!;
      expect(r).toMatchObject({ end_reason: 'lost', provider_status: 'completed', status: 'completed' });
      // The provider's own end time (to the second, as Twilio's RFC 2822 dates give it).
      expect(Math.abs(r.ended_at! - atProvider.endTime!.getTime())).toBeLessThan(1000);
    }
    const noSid = rows.find((r) => r.id === 'no-sid')!;
    expect(noSid.end_reason).toBe('lost');
    expect(noSid.ended_at!).toBeGreaterThanOrEqual(lastBeatBefore);
    expect(noSid.ended_at!).toBeLessThanOrEqual(killedAt);
    console.info(`SIGKILL with ${N} live calls: restart reconciled ${JSON.stringify(child.records)}; crash time ${killedAt - noSid.ended_at!} ms before the kill (heartbeat 200 ms)`);
  });
});
