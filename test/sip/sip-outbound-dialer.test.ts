import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mulawToPcm } from '../../media/g711.js';
import { dtmfEventCode, dtmfPacketPlan, writeTelephoneEvent } from '../../media/rtp-dtmf.js';
import { writeRtpPacket } from '../../media/rtp-packet.js';
import { speechWav } from '../support/audio-tools.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { audibleFrames } from '../support/call-helpers.js';
import { paced, waitFor } from '../support/wait.js';
import { haveTool } from '../support/tools.js';
import { FakeSrf, sdpOffer, type FakeDialog, type FakeUac } from './fake-srf.js';

const CALLEE = '+14155552001';
let harness: Harness | undefined;
let peer: Socket | undefined;
afterEach(async () => {
  peer?.close();
  peer = undefined;
  await harness?.close();
  harness = undefined;
});

/** The far end of an outbound SIP call: answers the INVITE with its own RTP socket. */
async function startWithTrunk(srf: FakeSrf): Promise<{ rtp: Buffer[]; answered: Promise<{ uac: FakeUac; dialog: FakeDialog }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-out-'));
  writeFileSync(join(dir, 'sip.json'), JSON.stringify({
    trunks: [{ id: 'carrier', outbound: { host: 'sip.carrier.example', port: 5060, transport: 'udp' } }], outboundTrunk: 'carrier',
  }));
  harness = await startHarness({ mode: 'echo' }, {
    DRACHTIO_HOST: 'fake', OUTBOUND_PROVIDER: 'sip', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1',
    RTP_BIND_ADDRESS: '127.0.0.1', RTP_PORT_MIN: '48000', RTP_PORT_MAX: '48999', TTS_ENGINE: 'espeak',
  }, {}, { sipSrf: srf });
  peer = createSocket('udp4');
  await new Promise<void>((r) => peer!.bind(0, '127.0.0.1', r));
  const rtp: Buffer[] = [];
  peer.on('message', (m) => rtp.push(m));
  const answered = new Promise<{ uac: FakeUac; dialog: FakeDialog }>((resolve) => {
    srf.onUac = (uac) => {
      uac.provisional(180);
      resolve({ uac, dialog: uac.answer(sdpOffer({ address: '127.0.0.1', port: peer!.address().port, pts: '0 101' })) });
    };
  });
  return { rtp, answered };
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(harness!.bridgeUrl + path, {
    ...init, headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function waitEnded(id: string): Promise<Record<string, any>> {
  return waitFor(async () => {
    const call = (await api(`/calls/${id}`)).body;
    return call.state === 'ended' && call;
  }, { timeoutMs: 30_000, everyMs: 100, what: `call ${id} ended` });
}

/** The PCMU audio in the RTP the far end received, in arrival order. */
function heardPcm(rtp: Buffer[]): Int16Array {
  const frames = rtp.filter((m) => m.length === 172 && (m[1]! & 0x7f) === 0);
  const pcm = new Int16Array(frames.length * 160);
  frames.forEach((m, i) => mulawToPcm(m.subarray(12), pcm.subarray(i * 160)));
  return pcm;
}

function bridgeRtpPort(uac: FakeUac): number {
  return Number(/m=audio (\d+)/.exec(uac.opts.localSdp ?? '')?.[1]);
}

/** One key as RFC 4733 telephone-events (PT 101) from the far end. */
async function pressKey(key: string, port: number): Promise<void> {
  const buf = new Uint8Array(16);
  const plan = dtmfPacketPlan(key);
  await paced(plan.length, 20, (k) => {
    const p = plan[k]!;
    const payload = new Uint8Array(4);
    writeTelephoneEvent(payload, 0, { event: dtmfEventCode(key)!, volume: 10, end: p.end, duration: p.duration });
    const len = writeRtpPacket(buf, { marker: p.marker, payloadType: 101, sequenceNumber: 5000 + k, timestamp: 80_000, ssrc: 0x4321 }, payload);
    peer!.send(buf.subarray(0, len), port, '127.0.0.1');
  });
}

describe.skipIf(!haveTool('espeak-ng'))('outbound calls through the SIP trunk (fake Srf, real RTP)', () => {
  it('an agent call: INVITE to the trunk, the answer starts the agent conversation, a far-end BYE ends the record', async () => {
    const srf = new FakeSrf();
    const { answered } = await startWithTrunk(srf);
    const conv = new Promise((r) => harness!.agent.once('conversation', r));
    const placed = await api('/calls', { method: 'POST', body: JSON.stringify({ to: CALLEE, agent_id: 'agent_test', dynamic_variables: { order: 'A-17' } }) });
    expect(placed, JSON.stringify(placed.body)).toMatchObject({ status: 201 });
    const { uac, dialog } = await answered;
    expect(uac.uri).toContain(CALLEE.replace('+', ''));
    expect(uac.uri).toContain('sip.carrier.example');
    await conv;
    dialog.remoteBye();
    const call = await waitEnded(placed.body.id);
    expect(call).toMatchObject({ provider: 'sip', direction: 'outbound', endReason: 'caller-hangup' });
  });

  it('keeps the per-call policy given to POST /calls (here a 1 s maximum duration)', async () => {
    const srf = new FakeSrf();
    const { answered } = await startWithTrunk(srf);
    const placed = await api('/calls', { method: 'POST', body: JSON.stringify({ to: CALLEE, agent_id: 'agent_test', policy: { maxDurationSeconds: 1 } }) });
    expect(placed, JSON.stringify(placed.body)).toMatchObject({ status: 201 });
    const { dialog } = await answered;
    const call = await waitEnded(placed.body.id);
    expect(call).toMatchObject({ provider: 'sip', endReason: 'max-duration' });
    expect(dialog.requests.some((r) => r.method === 'BYE')).toBe(true);
  });

  it('a broadcast: the message is spoken over RTP to the end, then the bridge hangs up; key 9 opts out', async () => {
    const srf = new FakeSrf();
    const { rtp, answered } = await startWithTrunk(srf);
    const message = 'Hello Ana, your parcel arrives on Monday.';
    const placed = await api('/calls', {
      method: 'POST',
      body: JSON.stringify({
        to: CALLEE, agent_id: 'agent_test', dynamic_variables: { name: 'Ana' },
        broadcast: { message: 'Hello {{name}}, your parcel arrives on Monday.', menu: { keys: { 9: { action: 'opt-out' } }, timeout_seconds: 3, attempts: 1 } },
      }),
    });
    expect(placed, JSON.stringify(placed.body)).toMatchObject({ status: 201 });
    const { uac, dialog } = await answered;
    // The far end listens until the message is over (the bridge has played it out and offers the
    // menu), then presses 9. A key during the message would cut it short.
    const reference = audibleFrames(speechWav(message, { rate: 8000 }));
    await waitFor(() => harness!.bridge.registry.list().some((c) => c.state === 'menu'), { timeoutMs: 30_000, what: 'menu offered' });
    await pressKey('9', bridgeRtpPort(uac));
    const call = await waitEnded(placed.body.id);

    expect(audibleFrames(heardPcm(rtp))).toBeGreaterThanOrEqual(Math.round(reference * 0.8));
    expect(call.metadata.broadcastOutcome, JSON.stringify(call.metadata.broadcastOutcome)).toMatchObject({ message: 'complete', keys: ['9'], optedOut: true });
    expect(dialog.requests.some((r) => r.method === 'BYE')).toBe(true);
    expect(harness!.agent.conversations).toHaveLength(0);
    const dnc = await harness!.store.doNotCall.has(CALLEE);
    expect(dnc).toBe(true);
  });
});
