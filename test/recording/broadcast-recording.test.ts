/**
 * Broadcast calls (TTS message, espeak-ng) are recorded too, on both legs:
 * SIP (POST /calls with a broadcast and the per-call `recording` policy, as
 * a campaign passes it) and Twilio (a broadcast campaign with
 * `recording: on`, which has to reach the Twilio broadcast session). The
 * right channel must be what the far end received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';
import type { FakeDialog } from '../sip/fake-srf.js';
import { sdpOffer } from '../sip/fake-srf.js';
import { channels, describeRuns, playoutRuns, realign, runFits, wholeFit } from './compare.js';
import { judge } from './judge.js';
import { RtpPhone } from './rtp-phone.js';
import { pcmu, sipHarness } from './sip-support.js';

const CALLEE = '+14155552001';
let harness: Harness | undefined;
let phone: RtpPhone | undefined;
afterEach(async () => {
  await phone?.stop();
  phone?.close();
  phone = undefined;
  await harness?.close();
  harness = undefined;
});

async function api(h: Harness, path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(h.bridgeUrl + path, { ...init, headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function wav(h: Harness, id: string): Promise<Uint8Array> {
  const res = await fetch(`${h.bridgeUrl}/calls/${encodeURIComponent(id)}/recording`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const ended = (h: Harness, id: string) => waitFor(async () => {
  const call = (await api(h, `/calls/${id}`)).body;
  return call.state === 'ended' && call;
}, { timeoutMs: 60_000, everyMs: 100, what: `call ${id} ended` });

describe.skipIf(!haveAudioTools())('broadcast recordings', () => {
  it('SIP: the message as the callee received it on the right, what it said on the left', { timeout: 120_000 }, async () => {
    const { harness: h, srf } = await sipHarness({ mode: 'echo' }, '46400-46599', { OUTBOUND_PROVIDER: 'sip', TTS_ENGINE: 'espeak' });
    harness = h;
    const calleeSpeech = speechWav('Hello? Yes, this is Ana speaking.', { rate: 8000 });
    phone = new RtpPhone(pcmu);
    const port = await phone.open();
    const p = phone;
    const answered = new Promise<{ dialog: FakeDialog; bridgePort: number }>((resolve) => {
      srf.onUac = (uac) => {
        uac.provisional(180);
        resolve({ dialog: uac.answer(sdpOffer({ address: '127.0.0.1', port, pts: '0 101' })), bridgePort: Number(/m=audio (\d+)/.exec(uac.opts.localSdp ?? '')?.[1]) });
      };
    });
    const loop = eventLoopDelay();
    const placed = await api(h, '/calls', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: CALLEE, agent_id: 'agent_test', broadcast: { message: 'Hello Ana, your parcel arrives on Monday between nine and noon.' }, policy: { recording: 'on' } }),
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { dialog, bridgePort } = await answered;
    // The callee speaks once the broadcast session (and its recording) exists: RTP that arrives
    // between the 200 OK and the session's start is not recorded (the bridge writes the call first).
    await waitFor(() => h.bridge.registry.get(placed.body.id), { what: 'broadcast session started' });
    p.start(calleeSpeech, bridgePort);
    const call = await ended(h, placed.body.id);
    await p.stop();
    const stalls = loop.stop();
    expect(dialog.requests.some((r) => r.method === 'BYE')).toBe(true); // the bridge hung up after the message
    expect(call.metadata.broadcastOutcome).toMatchObject({ message: 'complete' });
    expect(call.metadata.recording.file).toMatch(/\.wav$/);
    const { left, right } = channels(await wav(h, placed.body.id), 8000);
    const { runs } = judge(p, calleeSpeech, left, right, stalls.maxMs, 'SIP broadcast');
    expect(runs.reduce((t, [a, b]) => t + b - a, 0) / 8).toBeGreaterThan(2000); // the message itself
  });

  it('Twilio: a broadcast campaign with recording on records the message as the callee heard it', { timeout: 120_000 }, async () => {
    harness = await startHarness({ mode: 'scripted' }, { CALLS_PER_SECOND: '10' }, {
      farEnds: farEndsByNumber({ [CALLEE]: { kind: 'human', ringMs: 100, hangupAfterMs: 30_000 } }),
    });
    const h = harness;
    const form = new FormData();
    form.set('name', 'Recorded deliveries');
    form.set('type', 'broadcast');
    form.set('recording', 'on');
    form.set('broadcast', JSON.stringify({ message: 'Hello {{name}}, your parcel arrives on Monday between nine and noon.' }));
    form.set('file', new Blob([`phone_number,name\n${CALLEE},Ana`], { type: 'text/csv' }), 'list.csv');
    const loop = eventLoopDelay();
    const created = await api(h, '/campaigns', { method: 'POST', body: form });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(async () => (await api(h, `/campaigns/${created.body.campaign.id}`)).body.status === 'completed', { timeoutMs: 60_000, everyMs: 100, what: 'campaign completed' });
    const stalls = loop.stop();
    const standin = [...h.twilio.calls.values()].find((c) => c.to === CALLEE)!;
    const row = (await h.bridge.store.calls.getByProviderCallId('twilio', standin.sid))!;
    expect(row.metadata?.broadcastOutcome).toMatchObject({ message: 'complete' });
    const { right } = channels(await wav(h, row.id), 8000);
    // As in the agent-call recording test: each run the callee played back to back, at its own lag
    // (the bridge places it by Twilio's mark echoes, late by this process's stalls), then the whole call.
    const stream = standin.engine!.streams[0]!;
    const heard = stream.heardPcm();
    const media = stream.recorder.received.flatMap((r) => (r.event === 'media' ? [r] : []));
    const tolerance = Math.round((3 + stalls.maxMs) * 8);
    const fits = runFits(heard, right, playoutRuns(media, 8000), Math.min(tolerance, 2000), 400).filter((f) => f.windows.length > 0);
    const whole = wholeFit(heard, realign(right, fits), 0).corr;
    console.info(`Twilio broadcast: ${describeRuns(fits, 8000)}; whole call ${whole.toFixed(4)}; stalls up to ${stalls.maxMs.toFixed(1)} ms`);
    expect(fits.reduce((t, f) => t + f.to - f.from, 0) / 8).toBeGreaterThan(2000);
    for (const f of fits) {
      expect(Math.abs(f.lag), `run at ${f.from / 8} ms placed ${f.lag / 8} ms off`).toBeLessThanOrEqual(tolerance);
      expect(f.corr, `run at ${f.from / 8} ms`).toBeGreaterThanOrEqual(0.99);
      for (const w of f.windows) expect(w, `a window of the run at ${f.from / 8} ms`).toBeGreaterThanOrEqual(0.99);
    }
    expect(whole).toBeGreaterThanOrEqual(0.99);
  });
});
