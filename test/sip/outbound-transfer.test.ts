import { describe, expect, it } from 'vitest';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { dialOperator, tieLegs } from '../../sip/signaling/b2bua-transfer.js';
import { rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import { outcomeOfStatus, placeSipCall } from '../../sip/signaling/outbound-call.js';
import { referTransfer } from '../../sip/signaling/refer-transfer.js';
import type { OutboundTrunkConfig } from '../../sip/signaling/trunks.js';
import { waitFor } from '../support/wait.js';
import { FakeDialog, FakeSrf, response, sdpOffer } from './fake-srf.js';

const trunk: OutboundTrunkConfig = {
  host: 'sip.carrier.example', port: 5080, transport: 'tcp', credentials: { username: 'acct', password: 'pw' },
  headers: { 'X-Account': 'a1' }, callerId: '+15550001111', callerName: 'Bridge', numberFormat: 'e164-no-plus',
};

describe('placeSipCall', () => {
  it('sends the INVITE through the trunk with auth, headers and From, reports 180/183, returns the dialog on 200', async () => {
    const srf = new FakeSrf();
    const progress: number[] = [];
    srf.onUac = (uac) => { uac.provisional(180); uac.provisional(183, sdpOffer()); uac.answer(sdpOffer({ port: 45000 })); };
    const r = await placeSipCall(srf, trunk, '+1 (555) 123-4567', { localSdp: 'v=0\r\n', headers: { 'X-Campaign': 'c42' }, onProgress: (s) => progress.push(s) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.remoteSdp).toContain('m=audio 45000');
    const uac = srf.uacs[0]!;
    expect(uac.uri).toBe('sip:15551234567@sip.carrier.example:5080;transport=tcp');
    expect(uac.opts.auth).toEqual({ username: 'acct', password: 'pw' });
    expect(uac.opts.headers).toMatchObject({ 'X-Account': 'a1', 'X-Campaign': 'c42', From: '"Bridge" <sip:15550001111@sip.carrier.example>' });
    expect(progress).toEqual([180, 183]);
  });

  it.each([
    [486, 'busy'], [600, 'busy'], [603, 'busy'], [480, 'no-answer'], [408, 'no-answer'],
    [487, 'canceled'], [503, 'failed'], [404, 'failed'], [401, 'auth-failed'], [407, 'auth-failed'],
  ] as const)('final %i → %s', async (status, outcome) => {
    const srf = new FakeSrf();
    srf.onUac = (uac) => uac.reject(status, 'x');
    expect(await placeSipCall(srf, trunk, '+15551234567', { localSdp: 'v=0' })).toMatchObject({ ok: false, outcome, status });
    expect(outcomeOfStatus(status)).toBe(outcome);
  });

  it('ring timeout CANCELs the INVITE: outcome no-answer with 487', async () => {
    const srf = new FakeSrf();
    srf.onUac = (uac) => uac.provisional(180);
    const r = await placeSipCall(srf, trunk, '+15551234567', { localSdp: 'v=0', ringTimeoutMs: 50 });
    expect(srf.uacs[0]!.invite.canceled).toBe(true);
    expect(r).toMatchObject({ ok: false, outcome: 'no-answer', status: 487 });
  });

  it('abort while ringing CANCELs: outcome canceled; a 200 crossing the CANCEL is hung up with BYE', async () => {
    const srf = new FakeSrf();
    const ac = new AbortController();
    srf.onUac = () => setTimeout(() => ac.abort(), 10);
    expect(await placeSipCall(srf, trunk, '1', { localSdp: 'v=0', signal: ac.signal })).toMatchObject({ outcome: 'canceled' });
    const srf2 = new FakeSrf();
    let dialog: FakeDialog | undefined;
    srf2.onUac = (uac) => { uac.final = true; setTimeout(() => { dialog = uac.answer(sdpOffer()); }, 80); };
    const r = await placeSipCall(srf2, trunk, '1', { localSdp: 'v=0', ringTimeoutMs: 20 });
    expect(r).toMatchObject({ ok: false, outcome: 'no-answer', status: 200 });
    expect(dialog!.requests.map((q) => q.method)).toEqual(['BYE']);
  });
});

describe('referTransfer', () => {
  function dialogAnswering(status: number, notifies: Array<[string, string]>): FakeDialog {
    const d = new FakeDialog();
    d.respond = () => {
      setTimeout(() => notifies.forEach(([frag, state], i) => setTimeout(() => d.incoming('NOTIFY',
        { Event: 'refer', 'Subscription-State': state, 'Content-Type': 'message/sipfrag;version=2.0' }, frag), i * 5)), 1);
      return response(status, status === 202 ? 'Accepted' : 'Forbidden');
    };
    return d;
  }

  it('202 then sipfrag 100/180/200: transferred, with Refer-To and Referred-By', async () => {
    const d = dialogAnswering(202, [['SIP/2.0 100 Trying', 'active;expires=60'], ['SIP/2.0 180 Ringing', 'active'], ['SIP/2.0 200 OK', 'terminated;reason=noresource']]);
    const seen: number[] = [];
    const out = await referTransfer(d, 'sip:+15557654321@pbx.example', { referredBy: 'sip:bot@bridge.example', onProgress: (s) => seen.push(s) });
    expect(out).toEqual({ kind: 'transferred', status: 200 });
    expect(seen).toEqual([100, 180, 200]);
    expect(d.requests[0]).toMatchObject({ method: 'REFER', headers: { 'Refer-To': '<sip:+15557654321@pbx.example>', 'Referred-By': '<sip:bot@bridge.example>' } });
    expect(d.listenerCount('notify')).toBe(0);
  });

  it('REFER refused (403) → refused; accepted but target busy → failed with 486', async () => {
    expect(await referTransfer(dialogAnswering(403, []), 'sip:x@y')).toMatchObject({ kind: 'refused', status: 403 });
    const busy = dialogAnswering(202, [['SIP/2.0 100 Trying', 'active'], ['SIP/2.0 486 Busy Here', 'terminated']]);
    expect(await referTransfer(busy, 'sip:x@y')).toEqual({ kind: 'failed', status: 486, reason: 'Busy Here' });
  });

  it('no final NOTIFY in time → failed', async () => {
    const out = await referTransfer(dialogAnswering(202, [['SIP/2.0 100 Trying', 'active']]), 'sip:x@y', { timeoutMs: 60 });
    expect(out).toMatchObject({ kind: 'failed', reason: 'no final NOTIFY' });
  });
});

describe('dialOperator (bridge-mode transfer)', () => {
  const media = (): MediaOptions => ({
    ports: new PortAllocator({ min: 43000, max: 43100 }), publicAddress: '192.0.2.10',
    factory: rtpSessionFactory({ bindAddress: '127.0.0.1', inactivityTimeoutMs: 60_000 }),
  });

  it('answered: offers our port, binds RTP for the answered codec, exposes the operator leg and media', async () => {
    const srf = new FakeSrf();
    const m = media();
    srf.onUac = (uac) => uac.answer(sdpOffer({ pts: '8 101', port: 46000 }));
    // The ring timeout only bounds a failure: a stalled event loop must not turn the answer into a ring timeout.
    const r = await dialOperator(srf, trunk, '+15557654321', { media: m, ringTimeoutMs: 30_000 });
    expect(r.kind).toBe('connected');
    if (r.kind !== 'connected') return;
    const offered = srf.uacs[0]!.opts.localSdp!;
    expect(offered).toMatch(/m=audio (\d+) RTP\/AVP 0 8 101/);
    expect(r.operator.media.session.localPort).toBe(Number(/m=audio (\d+)/.exec(offered)![1]));
    expect(r.operator.media).toMatchObject({ codec: 'PCMA', payloadType: 8, remote: { port: 46000 } });
    expect(m.ports.inUse).toBe(1);
    await r.operator.hangup();
    await waitFor(() => m.ports.inUse === 0, { what: 'port released' });
  });

  it('declined → returnToAgent with the port freed; a BYE from either tied leg hangs up the other', async () => {
    const srf = new FakeSrf();
    const m = media();
    srf.onUac = (uac) => uac.reject(603, 'Decline');
    expect(await dialOperator(srf, trunk, '1', { media: m })).toMatchObject({ kind: 'returnToAgent', outcome: 'busy', status: 603 });
    expect(m.ports.inUse).toBe(0);
    srf.onUac = (uac) => uac.answer(sdpOffer());
    const a = await dialOperator(srf, trunk, '1', { media: m });
    const b = await dialOperator(srf, trunk, '2', { media: m });
    if (a.kind !== 'connected' || b.kind !== 'connected') throw new Error('not connected');
    const ends: string[] = [];
    tieLegs(a.operator, b.operator, (by) => ends.push(by));
    (a.operator.dialog as FakeDialog).remoteBye();
    expect(ends).toEqual(['caller']);
    expect((b.operator.dialog as FakeDialog).requests.map((q) => q.method)).toEqual(['BYE']);
  });
});
