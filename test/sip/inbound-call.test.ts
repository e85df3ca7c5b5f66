import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { digestResponse, parseDigestHeader } from '../../sip/signaling/digest.js';
import {
  challengeDigest, checkCapacity, concurrencyGate, identifyTrunk, negotiateMedia, routeToAgent,
} from '../../sip/signaling/inbound-chain.js';
import { serveInbound, type InboundOutcome } from '../../sip/signaling/inbound-call.js';
import { rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import type { TrunkConfig } from '../../sip/signaling/trunks.js';
import { FakeSrf, inviteFrom, sdpOffer, type FakeDialog, type FakeRequest, type FakeResponse } from './fake-srf.js';
import { waitFor } from '../support/wait.js';

const trunks: TrunkConfig[] = [
  { id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] } },
  { id: 'pbx', inbound: { allowedCidrs: [], credentials: { username: 'pbx1', password: 'pw-pbx' } } },
];

interface Harness {
  srf: FakeSrf; ports: PortAllocator; gate: ReturnType<typeof concurrencyGate>;
  legs: SipDialogLeg[]; outcomes: InboundOutcome[];
  call(req: FakeRequest): Promise<FakeResponse>;
}

const open: SipDialogLeg[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((l) => l.hangup())); });

function harness(maxCalls = 5): Harness {
  const srf = new FakeSrf();
  const ports = new PortAllocator({ min: 41000, max: 41999 });
  const gate = concurrencyGate(maxCalls, 486);
  const media: MediaOptions = {
    ports, publicAddress: '192.0.2.10', codecs: ['PCMU', 'PCMA'],
    factory: rtpSessionFactory({ bindAddress: '127.0.0.1', inactivityTimeoutMs: 60_000 }),
  };
  const legs: SipDialogLeg[] = [];
  const outcomes: InboundOutcome[] = [];
  serveInbound(srf, {
    publicAddress: media.publicAddress, ackTimeoutMs: 500,
    chain: [identifyTrunk(trunks), challengeDigest({ realm: 'bridge.example.com' }),
      routeToAgent({ byNumber: { '+15550001000': 'agent_sales' }, byTrunk: { pbx: 'agent_pbx' } }),
      checkCapacity(gate), negotiateMedia(media)],
    onCall: (leg) => { legs.push(leg); open.push(leg); },
    onOutcome: (o) => outcomes.push(o),
  });
  const call = async (req: FakeRequest): Promise<FakeResponse> => {
    const before = outcomes.length;
    const res = srf.receiveInvite(req);
    await until(() => res.sent.some((r) => r.status >= 200) || outcomes.length > before);
    return res;
  };
  return { srf, ports, gate, legs, outcomes, call };
}

/** Waits for `cond`; the deadline only bounds a failure. */
async function until(cond: () => boolean): Promise<void> {
  await waitFor(cond, { timeoutMs: 15_000, everyMs: 5 });
}

describe('inbound INVITE', () => {
  it('answers an allowlisted trunk: 180, then 200 with our SDP, leg after the ACK; BYE releases everything', async () => {
    const h = harness();
    const res = await h.call(inviteFrom());
    expect(res.sent.map((r) => r.status)).toEqual([180, 200]);
    const answer = res.sent[1]!.body!;
    expect(answer).toMatch(/^c=IN IP4 192\.0\.2\.10/m);
    expect(answer).toMatch(/^m=audio (4\d{4}) RTP\/AVP 0 101/m);
    expect(answer).toMatch(/a=rtpmap:101 telephone-event\/8000/);
    expect(h.ports.inUse).toBe(1);
    expect(h.gate.active).toBe(1);
    (h.srf.uasDialogs[0] as FakeDialog).ack();
    await until(() => h.legs.length === 1);
    const leg = h.legs[0]!;
    expect(leg.agentId).toBe('agent_sales');
    expect(leg.trunkId).toBe('carrier');
    expect(leg.from.user).toBe('+15551234567');
    expect(leg.to.user).toBe('+15550001000');
    expect(leg.media).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, remote: { address: '198.51.100.7', port: 40000 } });
    const byes: string[] = [];
    leg.on('bye', (r) => byes.push(r));
    (h.srf.uasDialogs[0] as FakeDialog).remoteBye();
    expect(byes).toEqual(['normal release']);
    expect(h.gate.active).toBe(0);
    await until(() => h.ports.inUse === 0);
  });

  it('refuses an unknown source (401 when a credential trunk could match) and a missing Contact with 400', async () => {
    const h = harness();
    // Outside 203.0.113.0/24 only the credential trunk can match: challenge, no call.
    expect((await h.call(inviteFrom({ source: '192.0.2.99' }))).last).toMatchObject({ status: 401 });
    const allowOnly = new FakeSrf();
    serveInbound(allowOnly, { publicAddress: '192.0.2.10', chain: [identifyTrunk([trunks[0]!])], onCall: () => undefined });
    const refused = allowOnly.receiveInvite(inviteFrom({ source: '192.0.2.99' }));
    await until(() => refused.finalResponseSent);
    expect(refused.last).toMatchObject({ status: 403 });
    const noContact = inviteFrom();
    noContact.headers.delete('contact');
    expect((await h.call(noContact)).last).toMatchObject({ status: 400 });
  });

  it('challenges a credential trunk with 401, accepts the digest answer, refuses a wrong password with 403', async () => {
    const h = harness();
    const first = await h.call(inviteFrom({ source: '192.0.2.99', callId: 'auth-1' }));
    expect(first.last!.status).toBe(401);
    const chal = parseDigestHeader(first.last!.headers['WWW-Authenticate']!)!;
    expect(chal).toMatchObject({ realm: 'bridge.example.com', algorithm: 'MD5', qop: 'auth' });
    const authorization = (password: string): string => {
      const r = digestResponse({ username: 'pbx1', realm: chal.realm!, password, method: 'INVITE',
        uri: 'sip:+15550001000@bridge.example.com', nonce: chal.nonce!, qop: 'auth', nc: '00000001', cnonce: 'c0ffee' });
      return `Digest username="pbx1", realm="${chal.realm}", nonce="${chal.nonce}", uri="sip:+15550001000@bridge.example.com", `
        + `response="${r}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"`;
    };
    const bad = await h.call(inviteFrom({ source: '192.0.2.99', headers: { Authorization: authorization('nope') } }));
    expect(bad.last!.status).toBe(403);
    const good = await h.call(inviteFrom({ source: '192.0.2.99', headers: { Authorization: authorization('pw-pbx') } }));
    expect(good.sent.map((r) => r.status)).toEqual([180, 200]);
    (h.srf.uasDialogs[0] as FakeDialog).ack();
    await until(() => h.legs.length === 1);
    expect(h.legs[0]).toMatchObject({ trunkId: 'pbx', agentId: 'agent_sales' });
  });

  it('404 without a route, 486 at capacity, 488 with no common codec (and gives the port back)', async () => {
    const h = harness(1);
    expect((await h.call(inviteFrom({ to: '+15559999999' }))).last).toMatchObject({ status: 404 });
    expect((await h.call(inviteFrom({ sdp: sdpOffer({ pts: '18 101' }) }))).last).toMatchObject({ status: 488 });
    expect(h.ports.inUse).toBe(0);
    expect(h.gate.active).toBe(0);
    await h.call(inviteFrom());
    (h.srf.uasDialogs[0] as FakeDialog).ack();
    const busy = await h.call(inviteFrom());
    expect(busy.last).toMatchObject({ status: 486 });
  });

  it('CANCEL before the answer: no 200, resources released, outcome canceled', async () => {
    const h = harness();
    const req = inviteFrom();
    h.srf.cancel(req);
    const res = h.srf.receiveInvite(req);
    await until(() => h.outcomes.length === 1);
    expect(h.outcomes[0]).toEqual({ kind: 'canceled' });
    expect(res.sent.some((r) => r.status === 200)).toBe(false);
    expect(h.gate.active).toBe(0);
    await until(() => h.ports.inUse === 0);
  });

  it('no ACK in time: BYE and the call is not handed over', async () => {
    const h = harness();
    await h.call(inviteFrom());
    await until(() => h.outcomes.length === 1);
    expect(h.outcomes[0]).toMatchObject({ kind: 'rejected', status: 408 });
    expect((h.srf.uasDialogs[0] as FakeDialog).requests.map((r) => r.method)).toEqual(['BYE']);
    expect(h.legs).toHaveLength(0);
  });
});

describe('in-dialog requests on an answered call', () => {
  async function answered(): Promise<{ h: Harness; leg: SipDialogLeg; dialog: FakeDialog }> {
    const h = harness();
    await h.call(inviteFrom());
    const dialog = h.srf.uasDialogs[0] as FakeDialog;
    dialog.ack();
    await until(() => h.legs.length === 1);
    return { h, leg: h.legs[0]!, dialog };
  }

  it('re-INVITE to hold and to a new address: answered on the same port, direction mirrored, o= version bumped', async () => {
    const { leg, dialog } = await answered();
    const firstAnswer = leg.media.localSdp;
    const port = /m=audio (\d+)/.exec(firstAnswer)![1];
    const events: unknown[] = [];
    leg.on('reinvite', (remote, direction) => events.push({ remote, direction }));
    const hold = dialog.incoming('INVITE', { 'Content-Type': 'application/sdp' }, sdpOffer({ direction: 'sendonly', version: 1001 }));
    expect(hold.last!.status).toBe(200);
    expect(hold.last!.body).toMatch(/a=recvonly/);
    expect(hold.last!.body).toContain(`m=audio ${port} `);
    const v = (sdp: string): number => Number(/^o=\S+ \S+ (\d+)/m.exec(sdp)![1]);
    expect(v(hold.last!.body!)).toBe(v(firstAnswer) + 1);
    const moved = dialog.incoming('INVITE', {}, sdpOffer({ address: '198.51.100.99', port: 50000, version: 1002 }));
    expect(moved.last!.body).toMatch(/a=sendrecv/);
    expect(events).toEqual([
      { remote: expect.objectContaining({ address: '198.51.100.7', port: 40000 }), direction: 'recvonly' },
      { remote: expect.objectContaining({ address: '198.51.100.99', port: 50000 }), direction: 'sendrecv' },
    ]);
    expect(leg.media.remote).toMatchObject({ address: '198.51.100.99', port: 50000 });
  });

  it('re-INVITE that drops our codec gets 488 and leaves the call as it was', async () => {
    const { leg, dialog } = await answered();
    const res = dialog.incoming('INVITE', {}, sdpOffer({ pts: '8 101' }));
    expect(res.last!.status).toBe(488);
    expect(leg.media.codec).toBe('PCMU');
  });

  it('INFO application/dtmf-relay becomes a dtmf-info event; far-end REFER is declined', async () => {
    const { leg, dialog } = await answered();
    const digits: string[] = [];
    leg.on('dtmf-info', (d) => digits.push(d));
    expect(dialog.incoming('INFO', { 'Content-Type': 'application/dtmf-relay' }, 'Signal=5\r\nDuration=160\r\n').last!.status).toBe(200);
    dialog.incoming('INFO', { 'Content-Type': 'application/dtmf-relay' }, 'Signal=11\r\nDuration=100\r\n');
    dialog.incoming('INFO', { 'Content-Type': 'application/dtmf' }, '*');
    expect(digits).toEqual(['5', '#', '*']);
    expect(dialog.incoming('REFER', { 'Refer-To': '<sip:x@y>' }).last!.status).toBe(603);
  });

  it('hangup sends BYE once and releases port and slot', async () => {
    const { h, leg, dialog } = await answered();
    await Promise.all([leg.hangup(), leg.hangup()]);
    expect(dialog.requests.filter((r) => r.method === 'BYE')).toHaveLength(1);
    expect(h.gate.active).toBe(0);
    await until(() => h.ports.inUse === 0);
  });

  it('answers out-of-dialog OPTIONS keep-alives with 200 and Allow', async () => {
    const h = harness();
    const res = new (await import('./fake-srf.js')).FakeResponse();
    h.srf.optionsHandler!(inviteFrom(), res);
    expect(res.last).toMatchObject({ status: 200 });
    expect(res.last!.headers.Allow).toContain('INVITE');
  });
});
