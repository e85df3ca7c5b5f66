import { mkdtempSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { farEndsByNumber, type FarEndBehaviour } from '../../tools/twilio-standin/far-end.js';
import type { SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames } from '../support/call-helpers.js';
import { toneInt16 } from '../support/signal.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const OPERATOR = '+14155550199';
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function agentsFile(transfer: Record<string, unknown>): string {
  const dir = mkdtempSync('/tmp/bridge-transfer-');
  writeFileSync(`${dir}/agents.json`, JSON.stringify({ defaults: { transfer } }));
  return `${dir}/agents.json`;
}

async function start(operator: FarEndBehaviour, transfer: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  harness = await startHarness(
    { mode: 'scripted', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', speech: { speed: Infinity } },
    { AGENTS_FILE: agentsFile({ rules: [{ number: OPERATOR, label: 'billing' }], ...transfer }), ...env },
    { farEnds: farEndsByNumber({ [OPERATOR]: operator }), timeScale: 0.1 },
  );
  const h = harness;
  const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
  const firstEnd = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
  const call = await h.twilio.placeInboundCall({ bridgeUrl: h.bridgeUrl, from: '+15550001111', to: '+15550002222' });
  return { h, call, conv: await conv, firstEnd };
}

const clientMessage = { text: 'Let me transfer you to billing.', audio: { pcm: toneInt16(500, 16000, 2, 8000), sampleRate: 16000 } };

function dialOf(call: SimulatedCall) {
  return call.call.dials[0];
}

describe('transfer to a human operator (Twilio)', () => {
  it('warm: the caller hears the whole client message, the operator hears the whisper and accepts, the call is transferred', async () => {
    const { h, call, conv, firstEnd } = await start({ kind: 'human', keys: '1', ringMs: 300, hangupAfterMs: 500 });
    await conv.started;
    await conv.say(clientMessage); // all 2 s queued at once
    const result = await conv.clientToolCall('transfer_to_number', {
      transfer_number: '+1 (415) 555-0199', client_message: clientMessage.text, agent_message: 'Caller disputes an invoice.', reason: 'billing',
    });
    expect(result.isError).toBe(false);
    const session = await firstEnd;
    expect(session.endReason).toBe('transfer');
    // The stream closed only after the 2 s message had played.
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(98);
    await call.ended;
    const dial = dialOf(call)!;
    expect(dial.legs[0]!.to).toBe(OPERATOR);
    expect(dial.legs[0]!.whisper?.heard[0]).toContain('Caller disputes an invoice.');
    expect(dial.legs[0]!.whisper?.result).toBe('accepted');
    expect(dial.legs[0]!.bridgedMs).toBeGreaterThan(0);
    const stored = await waitFor(async () => {
      const r = await h.bridge.store.calls.get(call.callSid);
      expect(r).toMatchObject({ status: 'completed', endReason: 'transfer' });
      return r;
    }, { what: 'the transferred call record' });
    expect(stored?.metadata?.transfer).toMatchObject({ to: OPERATOR, label: 'billing', mode: 'warm', outcome: 'connected' });
  });

  it('a destination that is not allowed is refused with an error result and the call goes on', async () => {
    const { call, conv } = await start({ kind: 'human' });
    await conv.started;
    const result = await conv.clientToolCall('transfer_to_number', { transfer_number: '+14155550000', client_message: 'x', agent_message: 'y' });
    expect(result.isError).toBe(true);
    expect(result.result).toContain('not allowed');
    expect(conv.isOpen).toBe(true);
    expect(dialOf(call)).toBeUndefined();
    await call.hangup();
  });

  it.each<[string, FarEndBehaviour, string]>([
    ['no answer', { kind: 'no-answer' }, 'no-answer'],
    ['busy', { kind: 'busy' }, 'busy'],
    ['declines', { kind: 'human', keys: '2' }, 'declined'],
  ])('operator %s: the caller is back with the agent within 3 s, told why', async (_name, operator, outcome) => {
    const { h, call, conv } = await start(operator);
    await conv.started;
    const lag = eventLoopDelay();
    const back = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    await conv.clientToolCall('transfer_to_number', { transfer_number: OPERATOR, client_message: 'one moment', agent_message: 'hi' });
    const next = await back;
    await next.started;
    const dial = dialOf(call)!;
    const failedAt = dial.endMs ?? dial.legs[0]!.endedMs!;
    const backAt = call.streams[1]!.originMs! - call.call.startMs;
    // Within 3 s; later only by as much as this process's event loop stalled.
    expect(backAt - failedAt).toBeLessThan(3000 + lag.stop().stalledMs);
    expect(next.initiation?.dynamic_variables?.transfer_status).toBe(outcome);
    await next.waitFor(() => next.contextualUpdates.length > 0);
    expect(next.contextualUpdates[0]).toContain(outcome);
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    await call.hangup();
    expect((await ended).endReason).toBe('caller-hangup');
    const stored = await h.bridge.store.calls.get(call.callSid);
    expect(stored?.metadata?.transfer).toMatchObject({ outcome });
    expect(stored?.endReason).toBe('caller-hangup');
  });
});

describe('agent failure policy: transfer', () => {
  it('when the agent is lost, the caller hears the fallback and is handed to the operator', async () => {
    const { h, call, conv, firstEnd } = await start(
      { kind: 'human', keys: '1', hangupAfterMs: 300 }, { defaultMode: 'warm' },
      { AGENT_FAILURE_POLICY: 'transfer', AGENT_FAILURE_TRANSFER_TO: 'billing' },
    );
    await conv.started;
    conv.kill();
    expect((await firstEnd).endReason).toBe('transfer');
    expect(audibleFrames(call.heardPcm())).toBeGreaterThanOrEqual(28); // the fallback, played in full first
    await call.ended;
    expect(dialOf(call)?.legs[0]?.whisper?.result).toBe('accepted');
    await waitFor(async () => {
      expect((await h.bridge.store.calls.get(call.callSid))?.metadata?.transfer).toMatchObject({ source: 'agent-failure', outcome: 'connected' });
      return true;
    }, { what: 'the transfer outcome stored' });
  });
});

describe('live call control API', () => {
  async function api(path: string, body: unknown, token: string | null = API_TOKEN) {
    const res = await fetch(harness!.bridgeUrl + path, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it('transfers a live call (cold), hangs up another, sends text, and rejects bad requests', async () => {
    const { h, call, conv } = await start({ kind: 'human', hangupAfterMs: 300 });
    await conv.started;
    expect((await api(`/calls/${call.callSid}/message`, { text: 'VIP customer' })).status).toBe(202);
    await conv.waitFor(() => conv.contextualUpdates.includes('VIP customer'));
    expect((await api(`/calls/${call.callSid}/transfer`, { destination: OPERATOR }, null)).status).toBe(401);
    expect((await api('/calls/CA0000/transfer', { destination: OPERATOR })).status).toBe(404);
    const bad = await api(`/calls/${call.callSid}/transfer`, {});
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('destination');
    const refused = await api(`/calls/${call.callSid}/transfer`, { destination: '+14155550000' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('not-allowed');
    const ok = await api(`/calls/${call.callSid}/transfer`, { destination: 'billing', mode: 'cold' });
    expect(ok.status).toBe(202);
    await call.ended;
    const leg = dialOf(call)?.legs[0];
    expect(leg?.to).toBe(OPERATOR);
    expect(leg?.whisper).toBeUndefined(); // cold: no whisper
    expect(leg?.bridgedMs).toBeGreaterThan(0);
    await waitFor(async () => {
      expect((await h.bridge.store.calls.get(call.callSid))?.metadata?.transfer).toMatchObject({ mode: 'cold', source: 'api', outcome: 'connected' });
      return true;
    }, { what: 'the transfer outcome stored' });
  });

  it('hangs up a live call with a goodbye message', async () => {
    const { call, conv } = await start({ kind: 'human' });
    await conv.started;
    expect((await api(`/calls/${call.callSid}/hangup`, { message: 'Goodbye from the supervisor.' })).status).toBe(202);
    const ended = await call.ended;
    expect(ended.how).toBe('hangup');
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Connect', 'Say', 'Hangup']);
  });
});
