import { mkdtempSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { farEndsByNumber, type FarEndBehaviour } from '../../tools/twilio-standin/far-end.js';
import type { StandinCall } from '../../tools/twilio-standin/outbound-call.js';
import { haveTool } from '../support/tools.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames } from '../support/call-helpers.js';
import { waitFor } from '../support/wait.js';

const skip = !haveTool('espeak-ng');
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const OPERATOR = '+14155550199';
const numbers = { listen: '+14155552001', optOut: '+14155552002', transfer: '+14155552003', machine: '+14155552004', noName: '+14155552005' };

async function api(path: string, init: RequestInit) {
  const res = await fetch(harness!.bridgeUrl + path, { ...init, headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function waitCampaign(id: string): Promise<Record<string, any>> {
  return waitFor(async () => {
    const s = (await api(`/campaigns/${id}`, {})).body;
    return s.status === 'completed' && s;
  }, { timeoutMs: 60_000, everyMs: 100, what: 'campaign completed' });
}

function callTo(h: Harness, to: string): StandinCall {
  return [...h.twilio.calls.values()].find((c) => c.to === to)!;
}

describe.skipIf(skip)('broadcast campaign (espeak-ng voice, offline)', () => {
  it('people hear the whole personalised message; 9 opts out, 1 transfers, a machine gets the voicemail variant', async () => {
    const human = (hangupAfterMs = 20_000): FarEndBehaviour => ({ kind: 'human', ringMs: 100, hangupAfterMs });
    const dir = mkdtempSync('/tmp/bridge-bcast-');
    writeFileSync(`${dir}/agents.json`, JSON.stringify({ defaults: { transfer: { rules: [{ number: OPERATOR, label: 'desk' }], defaultMode: 'cold' } } }));
    harness = await startHarness({ mode: 'scripted' }, { AGENTS_FILE: `${dir}/agents.json`, CALLS_PER_SECOND: '10' }, {
      timeScale: 0.2,
      farEnds: farEndsByNumber({
        [numbers.listen]: human(), [numbers.optOut]: human(), [numbers.transfer]: human(),
        [numbers.machine]: { kind: 'machine', greetingMs: 2000 }, [OPERATOR]: { kind: 'human', hangupAfterMs: 300 },
      }),
    });
    const h = harness;
    const csv = ['phone_number,name,day', `${numbers.listen},Ana,Monday`, `${numbers.optOut},Ben,Tuesday`, `${numbers.transfer},Cleo,Friday`,
      `${numbers.machine},Dan,Sunday`, `${numbers.noName},,Monday`].join('\n');
    const form = new FormData();
    form.set('name', 'Deliveries');
    form.set('type', 'broadcast');
    form.set('broadcast', JSON.stringify({
      message: 'Hello {{name}}, your parcel arrives on {{day}}.',
      voicemail_message: 'Hello {{name}}, this is a delivery notice. Please call us back.',
      menu: { keys: { '9': { action: 'opt-out' }, '1': { action: 'transfer', destination: 'desk' } }, timeout_seconds: 3, attempts: 1 },
    }));
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'list.csv');
    const created = await api('/campaigns', { method: 'POST', body: form });
    expect(created.status).toBe(201);
    // The row without a name is invalid, with its row number (header = row 1).
    expect(created.body.import.errors).toEqual([expect.objectContaining({ rowNumber: 6, code: 'missing_variable' })]);

    // Press keys once the message has been heard: the bridge has played it out and offers the menu.
    const press = async (to: string, key: string) => {
      const inMenu = () => h.bridge.registry.list().some((c) => c.describe(false).to === to && c.state === 'menu');
      await waitFor(() => inMenu() && callTo(h, to)?.engine?.streams[0], { timeoutMs: 30_000, everyMs: 10, what: `menu offered to ${to}` });
      callTo(h, to).engine!.streams[0]!.sendDtmf(key);
    };
    await Promise.all([press(numbers.optOut, '9'), press(numbers.transfer, '1')]);
    const status = await waitCampaign(created.body.campaign.id);
    expect(status.counts).toMatchObject({ completed: 3, voicemail: 1 });

    const outcome = async (to: string) => {
      const c = callTo(h, to);
      const row = await h.bridge.store.calls.getByProviderCallId('twilio', c.sid);
      return row?.metadata?.broadcastOutcome as Record<string, any>;
    };
    const listened = await outcome(numbers.listen);
    expect(listened).toMatchObject({ message: 'complete', optedOut: false, keys: [] });
    // What the person heard is the whole message: the heard timeline holds about as much speech as was played.
    const heard = callTo(h, numbers.listen).engine!.streams[0]!.heardPcm();
    expect(audibleFrames(heard, 200) * 0.02).toBeGreaterThan(listened.heardSeconds * 0.5);
    expect(listened.heardSeconds).toBeGreaterThan(1.5);
    expect(await outcome(numbers.optOut)).toMatchObject({ optedOut: true, keys: ['9'] });
    expect(await h.bridge.store.doNotCall.has(numbers.optOut)).toBe(true);
    expect(await outcome(numbers.transfer)).toMatchObject({ transferredTo: 'desk', keys: ['1'] });
    expect(callTo(h, numbers.transfer).engine!.dials[0]?.legs[0]?.to).toBe(OPERATOR);
    expect(await outcome(numbers.machine)).toMatchObject({ voicemail: { left: true } });
    // The TTS cache: each distinct text was synthesized once, before dialing (message and voicemail variant
    // for each of the 4 recipients dialled), plus the opt-out confirmation; every playback was a cache hit.
    const metric = async (name: string) => (await h.bridge.metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;
    expect(await metric('bridge_tts_cache_misses_total')).toBe(9);
    expect(await metric('bridge_tts_cache_hits_total')).toBe(4);
  });

  it('a single broadcast via POST /calls with a message instead of an agent', async () => {
    harness = await startHarness({ mode: 'scripted' }, {}, { farEnds: farEndsByNumber({ [numbers.listen]: { kind: 'human', hangupAfterMs: 20_000 } }) });
    const placed = await api('/calls', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: numbers.listen, dynamic_variables: { name: 'Ana' }, broadcast: { message: 'Hi {{name}}, the water will be off tomorrow.' } }),
    });
    expect(placed.status).toBe(201);
    const stored = await waitFor(async () => {
      const row = (await api(`/calls/${placed.body.id}`, {})).body;
      return row.state === 'ended' && row;
    }, { timeoutMs: 30_000, everyMs: 100, what: 'call ended' });
    expect(stored).toMatchObject({ state: 'ended', endReason: 'agent-ended' });
    expect(stored.metadata.broadcastOutcome).toMatchObject({ message: 'complete' });
    expect(harness.agent.conversations).toHaveLength(0);
  });
});
