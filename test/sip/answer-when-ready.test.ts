import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { mulawToPcm } from '../../media/g711.js';
import { toneLevelDb } from '../support/signal.js';
import type { CallSession } from '../../src/call/call-session.js';
import { createLogger } from '../../src/logger.js';
import { SipService, type SipServiceDeps } from '../../src/sip/sip-service.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import type { ReferenceAgentConfig } from '../../tools/reference-agent/types.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { paced, udpDrained, waitFor } from '../support/wait.js';
import { FakeSrf, inviteFrom, sdpOffer, type FakeDialog, type FakeRequest, type FakeResponse } from './fake-srf.js';

/**
 * Inbound SIP calls as a carrier and a caller see them, with drachtio's Srf
 * faked at the signaling boundary only: the real bridge, real RTP on UDP, and
 * the reference agent over a real WebSocket. The agent's start is slowed down
 * (metadata held back) to exercise ringing, CANCEL and the answer timeout.
 */

const CALLED = '+15550001000';
let harness: Harness | undefined;
let peer: Socket | undefined;
afterEach(async () => {
  peer?.close();
  peer = undefined;
  await harness?.close();
  harness = undefined;
});

interface Setup { srf: FakeSrf; h: Harness; rtp: Array<{ at: number; msg: Buffer }>; peerPort: number }

async function setup(agent: Partial<ReferenceAgentConfig>, env: Record<string, string> = {}): Promise<Setup> {
  const srf = new FakeSrf();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
  writeFileSync(join(dir, 'sip.json'), JSON.stringify({
    trunks: [{ id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] } }], routes: { byNumber: { [CALLED]: 'agent_test' } },
  }));
  const h = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', ...agent }, {
    DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
    RTP_PORT_MIN: '46000', RTP_PORT_MAX: '46999', ...env,
  }, {}, { sipSrf: srf });
  harness = h;
  peer = createSocket('udp4');
  await new Promise<void>((r) => peer!.bind(0, '127.0.0.1', r));
  const rtp: Setup['rtp'] = [];
  peer.on('message', (msg) => { if ((msg[1]! & 0x7f) < 72 || (msg[1]! & 0x7f) > 79) rtp.push({ at: performance.now(), msg }); });
  return { srf, h, rtp, peerPort: peer.address().port };
}

/** Waits for `cond`; the deadline only bounds a failure (what the tests assert is checked after). */
async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  await waitFor(cond, { timeoutMs: 15_000, everyMs: 5, what });
}

/**
 * The next conversation holds its metadata back (the agent's start is slow) until `release()`;
 * never released, the agent never becomes ready. Resolves with the conversation.
 */
function slowAgentStart(h: Harness): { conv: Promise<Conversation>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const conv = new Promise<Conversation>((r) => h.agent.once('conversation', (c: Conversation) => { c.holdMetadataUntil = gate; r(c); }));
  return { conv, release };
}

const finalOf = (res: FakeResponse) => res.sent.find((r) => r.status >= 200);
const metadataAt = (c: Conversation) => c.sent.find((e) => e.type === 'conversation_initiation_metadata')?.at;

async function api(h: Harness, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(h.bridgeUrl + path, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('inbound SIP: answer when the agent is ready', () => {
  it('rings (180) at once, answers only after conversation_initiation_metadata, no RTP before the 200', async () => {
    const { srf, h, rtp, peerPort } = await setup({});
    const { conv, release } = slowAgentStart(h);
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    await until(() => res.sent.length > 0, '180');
    const ringing = res.sent[0]!;
    expect(ringing.status).toBe(180);
    const c = await conv;
    await c.waitFor(() => c.initiation !== undefined); // the bridge now waits for the agent's metadata
    // While it rings the call is listed, and no 200 went out.
    const listed = await api(h, '/calls');
    expect(listed.body.calls).toEqual([expect.objectContaining({ state: 'ringing', leg: 'sip', from: '+15551234567' })]);
    expect(finalOf(res)).toBeUndefined();
    release();
    await until(() => finalOf(res) !== undefined, '200 OK');
    const ok = finalOf(res)!;
    expect(ok.status).toBe(200);
    const meta = metadataAt(c)!;
    expect(ok.at).toBeGreaterThanOrEqual(meta);
    expect(rtp.filter((p) => p.at < ok.at)).toHaveLength(0);
    console.log(`INVITE→180 ${(ringing.at - t0).toFixed(1)} ms; INVITE→metadata ${(meta - t0).toFixed(1)} ms; metadata→200 ${(ok.at - meta).toFixed(1)} ms`);
    (srf.uasDialogs[0] as FakeDialog).ack();
    await until(() => rtp.length > 5, 'RTP after the answer');
    const calls = await api(h, '/calls');
    expect(calls.body.calls).toEqual([expect.objectContaining({ id: req.get('Call-ID'), state: 'active', conversation_id: c.conversationId })]);
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    expect((await ended).endReason).toBe('caller-hangup');
  });

  it('SIP_EARLY_MEDIA=ringback: 183 with our SDP and a 440+480 Hz ringback tone until the agent is ready, then 200', async () => {
    const { srf, h, rtp, peerPort } = await setup({}, { SIP_EARLY_MEDIA: 'ringback', SIP_CODECS: 'PCMU,PCMA' });
    const { release } = slowAgentStart(h);
    const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => res.sent.length > 0, '183');
    expect(res.sent[0]).toMatchObject({ status: 183, headers: { 'Content-Type': 'application/sdp' } });
    expect(res.sent[0]!.body).toMatch(/^m=audio \d+ RTP\/AVP 0 101/m);
    // The agent becomes ready once the caller has heard 1.2 s of ringing (60 packets at 50/s).
    const pcmu = () => rtp.filter((p) => (p.msg[1]! & 0x7f) === 0);
    await until(() => pcmu().length >= 60, '1.2 s of ringback');
    expect(finalOf(res)).toBeUndefined();
    release();
    await until(() => finalOf(res) !== undefined, '200 OK');
    const ok = finalOf(res)!;
    const early = rtp.filter((p) => p.at < ok.at && (p.msg[1]! & 0x7f) === 0);
    const pcm = new Int16Array(early.length * 160);
    early.forEach((p, i) => mulawToPcm(p.msg.subarray(12, 172), pcm.subarray(i * 160)));
    const tone = pcm.subarray(0, Math.min(pcm.length, 8000)); // the 2 s "on" part of the cadence
    expect(toneLevelDb(tone, 440, 8000)).toBeGreaterThan(-30);
    expect(toneLevelDb(tone, 480, 8000)).toBeGreaterThan(-30);
    expect(toneLevelDb(tone, 1000, 8000)).toBeLessThan(-50);
    console.log(`ringback: ${early.length} early packets before the 200; 440 Hz ${toneLevelDb(tone, 440, 8000).toFixed(1)} dBFS, 480 Hz ${toneLevelDb(tone, 480, 8000).toFixed(1)} dBFS`);
    (srf.uasDialogs[0] as FakeDialog).ack();
  });

  it('CANCEL while the agent handshake is delayed: no 200, agent closed with 1000, no RTP, record says the caller gave up', async () => {
    const { srf, h, rtp, peerPort } = await setup({});
    const { conv } = slowAgentStart(h); // never ready
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const res = srf.receiveInvite(req);
    const c = await conv;
    await c.waitFor(() => c.initiation !== undefined);
    srf.cancel(req);
    const closed = await c.closed;
    expect(closed).toMatchObject({ code: 1000, by: 'client' });
    // Once the call's record is closed the call is torn down: any RTP it sent is on its way, and
    // arrives before a datagram sent after it.
    const callId = req.get('Call-ID')!;
    const record = await waitFor(async () => {
      const r = await h.store.calls.get(callId);
      return r?.endedAt ? r : undefined;
    }, { what: 'call record closed' });
    await udpDrained(peer!);
    expect(res.sent.map((r) => r.status)).toEqual([180]);
    expect(srf.uasDialogs).toHaveLength(0);
    expect(rtp).toHaveLength(0);
    expect(record).toMatchObject({ status: 'canceled', endReason: 'caller-cancelled', answeredAt: null });
    expect((await api(h, '/calls')).body.calls).toEqual([]);
  });

  it('agent slower than SIP_ANSWER_TIMEOUT_MS with policy hangup: 503 + Retry-After, agent closed, record failed', async () => {
    const { srf, h, rtp, peerPort } = await setup({}, { SIP_ANSWER_TIMEOUT_MS: '400', SIP_RETRY_AFTER_SECONDS: '7', AGENT_FAILURE_POLICY: 'hangup' });
    const { conv } = slowAgentStart(h); // never ready
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    const c = await conv;
    await until(() => finalOf(res) !== undefined, 'final response');
    const final = finalOf(res)!;
    expect(final).toMatchObject({ status: 503, headers: { 'Retry-After': '7' } });
    expect(final.at - t0).toBeGreaterThanOrEqual(400);
    console.log(`answer timeout 400 ms → 503 after ${(final.at - t0).toFixed(1)} ms`);
    expect((await c.closed).code).toBe(1000);
    const record = await waitFor(async () => {
      const r = await h.store.calls.get(req.get('Call-ID')!);
      return r?.endedAt ? r : undefined;
    }, { what: 'call record closed' });
    await udpDrained(peer!);
    expect(rtp).toHaveLength(0);
    expect(record).toMatchObject({ status: 'failed', endReason: 'agent-failed' });
  });

  it('agent slower than SIP_ANSWER_TIMEOUT_MS with policy retry: answered at the timeout, fallback heard, then the agent', async () => {
    const { srf, h, rtp, peerPort } = await setup({}, { SIP_ANSWER_TIMEOUT_MS: '400', AGENT_FAILURE_POLICY: 'retry' });
    slowAgentStart(h); // the first attempt never becomes ready; the retry does
    const conversations: Conversation[] = [];
    h.agent.on('conversation', (c: Conversation) => conversations.push(c));
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    await until(() => finalOf(res) !== undefined, '200 OK');
    const ok = finalOf(res)!;
    expect(ok.status).toBe(200);
    expect(ok.at - t0).toBeGreaterThanOrEqual(400);
    (srf.uasDialogs[0] as FakeDialog).ack();
    // The fallback (built-in tone) reaches the caller at once.
    await until(() => rtp.some((p) => p.msg.subarray(12).some((b) => b !== 0xff && b !== 0x7f)), 'fallback audio');
    // The retry opens a second conversation, which becomes the call's.
    await until(() => conversations.length === 2 && metadataAt(conversations[1]!) !== undefined, 'retried conversation');
    expect((await conversations[0]!.closed).code).toBe(1000);
    const calls = await api(h, '/calls');
    expect(calls.body.calls).toEqual([expect.objectContaining({ state: expect.stringMatching(/active|connecting/) })]);
  });

  it('SIP headers reach the agent as sip_* variables; caller_id from P-Asserted-Identity when From is anonymous', async () => {
    const { srf, h, peerPort } = await setup({}, { SIP_HEADERS_TO_AGENT: 'X-Customer-Id, User-to-User,Diversion,P-Asserted-Identity,X-Absent' });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const long = 'A'.repeat(600);
    const req = inviteFrom({
      to: CALLED, from: 'anonymous', sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }),
      headers: {
        From: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=x1',
        'P-Asserted-Identity': '"Bob" <sip:+15557654321@trunk.example.com>, <tel:+15557654321>',
        'X-Customer-Id': '  cust-42 \t', 'User-to-User': long, Diversion: '<sip:+15550009999@pbx>;reason=no-answer',
      },
    });
    const res = srf.receiveInvite(req);
    const c = await conv;
    await until(() => finalOf(res) !== undefined, '200 OK');
    expect(c.initiation?.dynamic_variables).toMatchObject({
      caller_id: '+15557654321', called_number: CALLED,
      sip_x_customer_id: 'cust-42', sip_user_to_user: 'A'.repeat(256),
      sip_diversion: '<sip:+15550009999@pbx>;reason=no-answer',
      sip_p_asserted_identity: '"Bob" <sip:+15557654321@trunk.example.com>, <tel:+15557654321>',
    });
    expect(c.initiation?.dynamic_variables).not.toHaveProperty('sip_x_absent');
    (srf.uasDialogs[0] as FakeDialog).ack();
    expect((await api(h, '/calls')).body.calls).toEqual([expect.objectContaining({ from: '+15557654321' })]);
  });

  it("keeps the caller's codec order: 8 0 101 → PCMA, 0 8 101 → PCMU, 9 0 8 101 → G.722 when enabled", async () => {
    const { srf, peerPort } = await setup({}, { SIP_CODECS: 'PCMU,PCMA' });
    for (const [pts, want] of [['8 0 101', '8 101'], ['0 8 101', '0 101'], ['9 0 8 101', '0 101']] as const) {
      const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort, pts }) }));
      await until(() => finalOf(res) !== undefined, '200 OK');
      expect(/m=audio \d+ RTP\/AVP ([\d ]+)/.exec(finalOf(res)!.body ?? '')?.[1]?.trim()).toBe(want);
      const d = srf.uasDialogs.at(-1) as FakeDialog;
      d.ack();
      d.remoteBye();
    }
  });

  it('late offer: INVITE without SDP gets our offer in the 200, the answer in the ACK sets up media', async () => {
    const { srf, h, rtp, peerPort } = await setup({}, { SIP_CODECS: 'PCMU,PCMA' });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const req: FakeRequest = inviteFrom({ to: CALLED, sdp: '' });
    req.headers.delete('content-type');
    const res = srf.receiveInvite(req);
    await until(() => finalOf(res) !== undefined, '200 OK');
    const offer = finalOf(res)!.body ?? '';
    expect(finalOf(res)!.status).toBe(200);
    expect(offer).toMatch(/^m=audio (\d+) RTP\/AVP 0 8 101/m);
    const bridgePort = Number(/m=audio (\d+)/.exec(offer)![1]);
    // Our answer picks PCMA from the offer (RFC 3264 §6.1).
    (srf.uasDialogs[0] as FakeDialog).ack(sdpOffer({ address: '127.0.0.1', port: peerPort, pts: '8 101' }));
    const c = await conv;
    await until(() => rtp.length > 5, 'RTP to the answer address');
    expect(rtp.every((p) => (p.msg[1]! & 0x7f) === 8)).toBe(true);
    // Caller audio reaches the agent through the port we offered.
    await paced(25, 20, (k) => {
      // A buffer per packet: dgram may still read a sent buffer after send() returns.
      const pkt = Buffer.alloc(172, 0xd5);
      pkt[0] = 0x80; pkt[1] = 8;
      pkt.writeUInt16BE(k, 2); pkt.writeUInt32BE(k * 160, 4); pkt.writeUInt32BE(0xabc, 8);
      peer!.send(pkt, bridgePort, '127.0.0.1');
    });
    await c.waitFor(() => c.userAudio.durationMs >= 200, 5000);
  });

  it('503 + Retry-After when at MAX_CONCURRENT_CALLS (a ringing call counts) and while draining', async () => {
    const { srf, h, peerPort } = await setup({}, { MAX_CONCURRENT_CALLS: '1', SIP_RETRY_AFTER_SECONDS: '11' });
    const { release } = slowAgentStart(h); // the first call rings until the second has been refused
    const first = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => first.sent.length > 0, '180');
    const second = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => finalOf(second) !== undefined, 'refusal');
    expect(finalOf(second)).toMatchObject({ status: 503, headers: { 'Retry-After': '11' } });
    expect(finalOf(first)).toBeUndefined(); // it was still ringing
    release();
    await until(() => finalOf(first) !== undefined, 'first answered');
    (srf.uasDialogs[0] as FakeDialog).ack();
    // Draining: the call in progress continues, a new INVITE is sent elsewhere.
    const closing = h.bridge.close(1500);
    const third = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => finalOf(third) !== undefined, 'refusal while draining');
    expect(finalOf(third)).toMatchObject({ status: 503, reason: 'Service Unavailable (draining)', headers: { 'Retry-After': '11' } });
    await closing;
    harness = undefined;
    await Promise.all([h.twilio.close(), h.agent.close()]);
    await h.store.close();
    // Shutdown hung up the call in progress with BYE while drachtio was still connected.
    expect((srf.uasDialogs[0] as FakeDialog).requests.some((r) => r.method === 'BYE')).toBe(true);
  });

  it('invalid trunk CIDRs stop the start, every bad entry named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'a', inbound: { allowedCidrs: ['10.0.0.0/33', '203.0.113.0/24'] } }, { id: 'b', inbound: { allowedCidrs: ['not-an-ip'] } }],
    }));
    const config = parseConfig({
      PUBLIC_URL: 'http://127.0.0.1:1', TWILIO_AUTH_TOKEN: 'x'.repeat(32), ELEVENLABS_API_KEY: 'k', ELEVENLABS_AGENT_ID: 'agent_test',
      DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'),
    });
    // Only the configuration is read before the check: nothing else is needed to construct it.
    expect(() => new SipService({ config, log: createLogger('silent'), srf: new FakeSrf() } as unknown as SipServiceDeps))
      .toThrow('invalid allowedCidrs: trunk a: 10.0.0.0/33, trunk b: not-an-ip');
  });
});
