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

async function until(cond: () => boolean, ms = 8000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const finalOf = (res: FakeResponse) => res.sent.find((r) => r.status >= 200);
const metadataAt = (c: Conversation) => c.sent.find((e) => e.type === 'conversation_initiation_metadata')?.at;

async function api(h: Harness, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(h.bridgeUrl + path, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('inbound SIP: answer when the agent is ready', () => {
  it('rings (180) at once, answers only after conversation_initiation_metadata, no RTP before the 200', async () => {
    const { srf, h, rtp, peerPort } = await setup({ metadataDelayMs: 400 });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    await until(() => res.sent.length > 0, 2000, '180');
    const ringing = res.sent[0]!;
    expect(ringing.status).toBe(180);
    const c = await conv;
    // While it rings the call is listed, and no 200 went out.
    const listed = await api(h, '/calls');
    expect(listed.body.calls).toEqual([expect.objectContaining({ state: 'ringing', leg: 'sip', from: '+15551234567' })]);
    expect(finalOf(res)).toBeUndefined();
    await until(() => finalOf(res) !== undefined, 5000, '200 OK');
    const ok = finalOf(res)!;
    expect(ok.status).toBe(200);
    const meta = metadataAt(c)!;
    expect(ok.at).toBeGreaterThanOrEqual(meta);
    expect(rtp.filter((p) => p.at < ok.at)).toHaveLength(0);
    console.log(`INVITE→180 ${(ringing.at - t0).toFixed(1)} ms; INVITE→metadata ${(meta - t0).toFixed(1)} ms; metadata→200 ${(ok.at - meta).toFixed(1)} ms`);
    (srf.uasDialogs[0] as FakeDialog).ack();
    await until(() => rtp.length > 5, 3000, 'RTP after the answer');
    const calls = await api(h, '/calls');
    expect(calls.body.calls).toEqual([expect.objectContaining({ id: req.get('Call-ID'), state: 'active', conversation_id: c.conversationId })]);
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    expect((await ended).endReason).toBe('caller-hangup');
  });

  it('SIP_EARLY_MEDIA=ringback: 183 with our SDP and a 440+480 Hz ringback tone until the agent is ready, then 200', async () => {
    const { srf, rtp, peerPort } = await setup({ metadataDelayMs: 1200 }, { SIP_EARLY_MEDIA: 'ringback', SIP_CODECS: 'PCMU,PCMA' });
    const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => res.sent.length > 0, 2000, '183');
    expect(res.sent[0]).toMatchObject({ status: 183, headers: { 'Content-Type': 'application/sdp' } });
    expect(res.sent[0]!.body).toMatch(/^m=audio \d+ RTP\/AVP 0 101/m);
    await until(() => finalOf(res) !== undefined, 5000, '200 OK');
    const ok = finalOf(res)!;
    const early = rtp.filter((p) => p.at < ok.at && (p.msg[1]! & 0x7f) === 0);
    expect(early.length).toBeGreaterThan(30); // ~1.2 s of ringing at 50 packets/s
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
    const { srf, h, rtp, peerPort } = await setup({ metadataDelayMs: 3000 });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const res = srf.receiveInvite(req);
    const c = await conv;
    await c.waitFor(() => c.initiation !== undefined, 3000);
    srf.cancel(req);
    const closed = await c.closed;
    expect(closed).toMatchObject({ code: 1000, by: 'client' });
    await new Promise((r) => setTimeout(r, 300)); // RTP would have started by now, if any were to leak
    expect(res.sent.map((r) => r.status)).toEqual([180]);
    expect(srf.uasDialogs).toHaveLength(0);
    expect(rtp).toHaveLength(0);
    const callId = req.get('Call-ID')!;
    let record = await h.store.calls.get(callId);
    for (let i = 0; i < 100 && !record?.endedAt; i++) {
      await new Promise((r) => setTimeout(r, 20));
      record = await h.store.calls.get(callId);
    }
    expect(record).toMatchObject({ status: 'canceled', endReason: 'caller-cancelled', answeredAt: null });
    expect((await api(h, '/calls')).body.calls).toEqual([]);
  });

  it('agent slower than SIP_ANSWER_TIMEOUT_MS with policy hangup: 503 + Retry-After, agent closed, record failed', async () => {
    const { srf, h, rtp, peerPort } = await setup({ metadataDelayMs: 3000 }, { SIP_ANSWER_TIMEOUT_MS: '400', SIP_RETRY_AFTER_SECONDS: '7', AGENT_FAILURE_POLICY: 'hangup' });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    const c = await conv;
    await until(() => finalOf(res) !== undefined, 3000, 'final response');
    const final = finalOf(res)!;
    expect(final).toMatchObject({ status: 503, headers: { 'Retry-After': '7' } });
    expect(final.at - t0).toBeGreaterThanOrEqual(400);
    console.log(`answer timeout 400 ms → 503 after ${(final.at - t0).toFixed(1)} ms`);
    expect((await c.closed).code).toBe(1000);
    expect(rtp).toHaveLength(0);
    let record = await h.store.calls.get(req.get('Call-ID')!);
    for (let i = 0; i < 100 && !record?.endedAt; i++) {
      await new Promise((r) => setTimeout(r, 20));
      record = await h.store.calls.get(req.get('Call-ID')!);
    }
    expect(record).toMatchObject({ status: 'failed', endReason: 'agent-failed' });
  });

  it('agent slower than SIP_ANSWER_TIMEOUT_MS with policy retry: answered at the timeout, fallback heard, then the agent', async () => {
    const { srf, h, rtp, peerPort } = await setup({ metadataDelayMs: 1500 }, { SIP_ANSWER_TIMEOUT_MS: '400', AGENT_FAILURE_POLICY: 'retry' });
    const conversations: Conversation[] = [];
    h.agent.on('conversation', (c: Conversation) => conversations.push(c));
    const req = inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) });
    const t0 = performance.now();
    const res = srf.receiveInvite(req);
    await until(() => finalOf(res) !== undefined, 3000, '200 OK');
    const ok = finalOf(res)!;
    expect(ok.status).toBe(200);
    expect(ok.at - t0).toBeGreaterThanOrEqual(400);
    (srf.uasDialogs[0] as FakeDialog).ack();
    // The fallback (built-in tone) reaches the caller at once.
    await until(() => rtp.some((p) => p.msg.subarray(12).some((b) => b !== 0xff && b !== 0x7f)), 3000, 'fallback audio');
    // The retry opens a second conversation, which becomes the call's.
    await until(() => conversations.length === 2 && metadataAt(conversations[1]!) !== undefined, 5000, 'retried conversation');
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
    await until(() => finalOf(res) !== undefined, 5000, '200 OK');
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
      await until(() => finalOf(res) !== undefined, 5000, '200 OK');
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
    await until(() => finalOf(res) !== undefined, 5000, '200 OK');
    const offer = finalOf(res)!.body ?? '';
    expect(finalOf(res)!.status).toBe(200);
    expect(offer).toMatch(/^m=audio (\d+) RTP\/AVP 0 8 101/m);
    const bridgePort = Number(/m=audio (\d+)/.exec(offer)![1]);
    // Our answer picks PCMA from the offer (RFC 3264 §6.1).
    (srf.uasDialogs[0] as FakeDialog).ack(sdpOffer({ address: '127.0.0.1', port: peerPort, pts: '8 101' }));
    const c = await conv;
    await until(() => rtp.length > 5, 5000, 'RTP to the answer address');
    expect(rtp.every((p) => (p.msg[1]! & 0x7f) === 8)).toBe(true);
    // Caller audio reaches the agent through the port we offered.
    const pkt = Buffer.alloc(172, 0xd5);
    pkt[0] = 0x80; pkt[1] = 8;
    for (let k = 0; k < 25; k++) {
      pkt.writeUInt16BE(k, 2); pkt.writeUInt32BE(k * 160, 4); pkt.writeUInt32BE(0xabc, 8);
      peer!.send(pkt, bridgePort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await c.waitFor(() => c.userAudio.durationMs >= 200, 5000);
  });

  it('503 + Retry-After when at MAX_CONCURRENT_CALLS (a ringing call counts) and while draining', async () => {
    const { srf, h, peerPort } = await setup({ metadataDelayMs: 2000 }, { MAX_CONCURRENT_CALLS: '1', SIP_RETRY_AFTER_SECONDS: '11' });
    const first = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => first.sent.length > 0, 2000, '180');
    const second = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => finalOf(second) !== undefined, 2000, 'refusal');
    expect(finalOf(second)).toMatchObject({ status: 503, headers: { 'Retry-After': '11' } });
    await until(() => finalOf(first) !== undefined, 5000, 'first answered');
    (srf.uasDialogs[0] as FakeDialog).ack();
    // Draining: the call in progress continues, a new INVITE is sent elsewhere.
    const closing = h.bridge.close(1500);
    const third = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peerPort }) }));
    await until(() => finalOf(third) !== undefined, 2000, 'refusal while draining');
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
