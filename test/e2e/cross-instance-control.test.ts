/**
 * Live call control across two bridge instances on one PostgreSQL: a message,
 * a transfer and a hang-up sent to instance B for a call whose media instance
 * A holds are forwarded to A (LISTEN/NOTIFY, call_control row) and answered
 * with A's own result; 404 only for a call no instance holds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { createBridge, type Bridge } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startReferenceAgent, type Conversation, type ReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { startTwilioStandin, type TwilioStandin } from '../../tools/twilio-standin/rest-server.js';
import { ACCOUNT_SID, AGENT_ID, API_TOKEN, AUTH_TOKEN, FROM_NUMBER, freePort, XI_API_KEY } from '../support/bridge-harness.js';
import { dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchemaName } from '../support/postgres.js';

const skip = await postgresSkipReason();
const OPERATOR = '+14155550199';

interface Instance { bridge: Bridge; store: Store; url: string }

let twilio: TwilioStandin;
let agent: ReferenceAgent;
let a: Instance;
let b: Instance;
const schema = uniqueSchemaName('ctl');

async function instance(id: string, agentsFile: string): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = parseConfig({
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, LOG_LEVEL: 'silent', INSTANCE_ID: id, DATABASE_URL: TEST_DATABASE_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_URL: twilio.url, TWILIO_FROM_NUMBER: FROM_NUMBER,
    ELEVENLABS_API_URL: agent.url, ELEVENLABS_API_KEY: XI_API_KEY, ELEVENLABS_AGENT_ID: AGENT_ID, API_TOKEN, AGENTS_FILE: agentsFile,
  });
  const store = await openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
  const bridge = createBridge(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { store });
  await bridge.listen();
  return { bridge, store, url };
}

async function api(on: Instance, path: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(on.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

beforeAll(async () => {
  if (skip) return;
  twilio = await startTwilioStandin({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, farEnds: farEndsByNumber({ [OPERATOR]: { kind: 'human', hangupAfterMs: 300 } }), timeScale: 0.1 });
  agent = await startReferenceAgent({ apiKey: XI_API_KEY, agents: [{ agentId: AGENT_ID, requireAuth: true, mode: 'scripted' }] });
  const dir = mkdtempSync('/tmp/bridge-xctl-');
  writeFileSync(`${dir}/agents.json`, JSON.stringify({ defaults: { transfer: { rules: [{ number: OPERATOR, label: 'billing' }] } } }));
  a = await instance('bridge-a', `${dir}/agents.json`);
  b = await instance('bridge-b', `${dir}/agents.json`);
}, 60_000);

afterAll(async () => {
  if (skip) return;
  for (const i of [a, b]) await i?.bridge.close();
  await twilio?.close();
  await agent?.close();
  for (const i of [a, b]) await i?.store.close();
  await dropSchema(schema);
});

async function callOnA(): Promise<{ callSid: string; conv: Conversation; ended: Promise<unknown>; call: Awaited<ReturnType<TwilioStandin['placeInboundCall']>> }> {
  const conv = new Promise<Conversation>((r) => agent.once('conversation', r));
  const call = await twilio.placeInboundCall({ bridgeUrl: a.url, from: '+15550001111', to: '+15550002222' });
  const c = await conv;
  await c.started;
  // Held by A: the record says so (media attached there).
  await expect.poll(async () => (await b.store.calls.get(call.callSid))?.instanceId, { timeout: 10_000, interval: 20 }).toBe('bridge-a');
  return { callSid: call.callSid, conv: c, ended: call.ended, call };
}

describe.skipIf(skip)('live call control across instances (PostgreSQL LISTEN/NOTIFY)', () => {
  it('a message and a transfer sent to B reach the call A holds, answered with A\'s result', { timeout: 60_000 }, async () => {
    const { callSid, conv, ended, call } = await callOnA();
    expect(b.bridge.registry.get(callSid)).toBeUndefined();
    const t0 = performance.now();
    const msg = await api(b, `/calls/${callSid}/message`, { text: 'VIP customer' });
    const forwardMs = performance.now() - t0;
    expect(msg).toEqual({ status: 202, body: { id: callSid, delivered: 'contextual_update' } });
    await conv.waitFor(() => conv.contextualUpdates.includes('VIP customer'));
    // A's validation answers through B, unchanged.
    const refused = await api(b, `/calls/${callSid}/transfer`, { destination: '+14155550000' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'not-allowed', field: 'destination' });
    const ok = await api(b, `/calls/${callSid}/transfer`, { destination: 'billing', mode: 'cold' });
    expect(ok).toEqual({ status: 202, body: { id: callSid, state: 'transferring', to: 'billing' } });
    await ended;
    expect(call.call.dials[0]?.legs[0]?.to).toBe(OPERATOR);
    await expect.poll(async () => (await a.store.calls.get(callSid))?.metadata?.transfer, { timeout: 10_000, interval: 50 }).toMatchObject({ source: 'api', outcome: 'connected' });
    console.info(`cross-instance control: message forwarded B → A and answered in ${forwardMs.toFixed(1)} ms`);
  });

  it('a hang-up sent to B ends the call on A with reason api-hangup; 404 for a call nobody holds', { timeout: 60_000 }, async () => {
    const { callSid, ended } = await callOnA();
    expect(await api(b, `/calls/${callSid}/hangup`, {})).toEqual({ status: 202, body: { id: callSid, state: 'ending' } });
    await ended;
    await expect.poll(async () => (await b.store.calls.get(callSid))?.endReason, { timeout: 10_000, interval: 50 }).toBe('api-hangup');
    const gone = await api(b, `/calls/${callSid}/message`, { text: 'too late' });
    expect(gone.status).toBe(404);
    expect((await api(b, '/calls/CA00000000000000000000000000000000/transfer', { destination: 'billing' })).status).toBe(404);
  });
});
