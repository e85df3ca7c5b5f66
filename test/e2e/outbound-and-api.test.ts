import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { API_TOKEN, FROM_NUMBER, startHarness, type Harness } from '../support/bridge-harness.js';
import { sleep } from '../support/call-helpers.js';
import { toneInt16 } from '../support/signal.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function api(h: Harness, method: string, path: string, body?: unknown, token: string | null = API_TOKEN) {
  const res = await fetch(h.bridgeUrl + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('outbound calls through the Twilio REST API', () => {
  it('POST /calls dials, the answered call talks to the agent with its variables and overrides, and the record is kept', async () => {
    harness = await startHarness({ mode: 'scripted' }, {}, {
      farEnds: farEndsByNumber({ '+14155550123': { kind: 'human', ringMs: 200, audio: { pcm8k: toneInt16(300, 8000, 2, 6000) } } }),
    });
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness!.bridge.events.once('call-ended', r));
    const placed = await api(harness, 'POST', '/calls', {
      to: '+1 415 555 0123', dynamic_variables: { customer_name: 'Ana' }, overrides: { agent: { first_message: 'Hi Ana' } },
    });
    expect(placed.status).toBe(201);
    const c = await conv;
    await c.started;
    expect(c.initiation?.dynamic_variables).toMatchObject({ customer_name: 'Ana', called_number: '+14155550123', caller_id: FROM_NUMBER });
    expect(c.initiation?.conversation_config_override).toEqual({ agent: { first_message: 'Hi Ana' } });
    await c.waitFor(() => c.userAudio.durationMs > 1000);

    const live = await api(harness, 'GET', `/calls/${placed.body.id}`);
    expect(live.body).toMatchObject({ id: placed.body.id, direction: 'outbound', state: 'active', to: '+14155550123' });
    const list = await api(harness, 'GET', '/calls');
    expect(list.body.calls).toHaveLength(1);

    c.sendUserTranscript('hello');
    await c.endCall({ farewell: { text: 'Goodbye Ana.' }, closeAfterMs: 0 });
    expect((await ended).endReason).toBe('agent-ended');
    const call = [...harness.twilio.calls.values()][0]!;
    await call.done;
    expect(harness.twilio.createdCount('+14155550123')).toBe(1);
    const statuses = call.callbacks.map((cb) => cb.params?.CallStatus).filter(Boolean);
    expect(statuses).toEqual(expect.arrayContaining(['ringing', 'in-progress', 'completed']));
    await sleep(200);
    const stored = await api(harness, 'GET', `/calls/${placed.body.id}`);
    expect(stored.body).toMatchObject({ state: 'ended', status: 'completed', endReason: 'agent-ended', direction: 'outbound' });
    expect(stored.body.answeredAt).toBeTypeOf('number');
    expect(stored.body.transcript.map((t: { text: string }) => t.text)).toEqual(['hello', 'Goodbye Ana.']);
  });

  it('busy and no-answer are recorded from the status callbacks', async () => {
    harness = await startHarness({ mode: 'scripted' }, {}, {
      timeScale: 0.02,
      farEnds: farEndsByNumber({ '+14155550124': { kind: 'busy' }, '+14155550125': { kind: 'no-answer' } }),
    });
    const statuses: string[] = [];
    harness.bridge.callEvents.on((e) => statuses.push(`${e.callId}:${e.status}`));
    const busy = await api(harness, 'POST', '/calls', { to: '+14155550124' });
    const noAnswer = await api(harness, 'POST', '/calls', { to: '+14155550125', ring_timeout_seconds: 10 });
    await harness.twilio.settled();
    await sleep(100);
    expect((await api(harness, 'GET', `/calls/${busy.body.id}`)).body).toMatchObject({ status: 'busy', state: 'ended' });
    expect((await api(harness, 'GET', `/calls/${noAnswer.body.id}`)).body).toMatchObject({ status: 'no-answer', state: 'ended' });
    expect(statuses).toContain(`${busy.body.id}:busy`);
    expect(statuses).toContain(`${noAnswer.body.id}:no-answer`);
  });
});

describe('hang-up through the REST API', () => {
  it('a call with no stream on this bridge (still ringing) is ended with calls(sid).update', async () => {
    harness = await startHarness({ mode: 'scripted' }, {}, { farEnds: farEndsByNumber({ '+14155550126': { kind: 'human', ringMs: 20_000 } }) });
    const placed = await api(harness, 'POST', '/calls', { to: '+14155550126' });
    await sleep(300);
    const hung = await api(harness, 'POST', `/calls/${placed.body.id}/hangup`, {});
    expect(hung.status).toBe(202);
    const call = [...harness.twilio.calls.values()][0]!;
    await call.done;
    expect(call.status).toBe('canceled');
    const update = harness.twilio.requests.find((r) => r.method === 'POST' && r.path.endsWith(`${call.sid}.json`));
    expect(update?.params.Status).toEqual(['canceled']);
    await sleep(100);
    expect((await api(harness, 'GET', `/calls/${placed.body.id}`)).body).toMatchObject({ state: 'ended', status: 'canceled' });
  });
});

describe('API errors', () => {
  it('401 without a valid token, 400 naming the field, 404 for unknown calls', async () => {
    harness = await startHarness();
    expect((await api(harness, 'GET', '/calls', undefined, null)).status).toBe(401);
    expect((await api(harness, 'GET', '/calls', undefined, 'wrong-token-wrong-token')).status).toBe(401);
    const bad = await api(harness, 'POST', '/calls', { to: 'not a number' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid-request', field: 'to' });
    const missing = await api(harness, 'GET', '/calls/CA00000000000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not-found');
  });
});
