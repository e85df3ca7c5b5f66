/**
 * The whole bridge with drachtio's Srf faked at the signalling boundary:
 * a trunk the bridge REGISTERs with (401 challenge) and that requires SRTP;
 * /readyz and /metrics report the registration; an INVITE over TLS from the
 * registrar to our registered contact is routed as that trunk's call and
 * answered with SRTP; the call record carries transport, srtp and suite; a
 * plain offer gets 488; shutdown unregisters.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sdpTransform from 'sdp-transform';
import { afterEach, describe, expect, it } from 'vitest';
import { SrtpMasterKey } from '../../media/srtp/srtp-key.js';
import { DigestVerifier } from '../../sip/signaling/digest.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { waitFor } from '../support/wait.js';
import { FakeRequest, FakeSrf, inviteFrom, response, sdpOffer, type FakeDialog } from './fake-srf.js';

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

/** Waits for `cond`; the deadline only bounds a failure. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(cond, { timeoutMs: 15_000, everyMs: 10 });
}

describe('SIP security through the bridge (fake Srf)', () => {
  it('registers, reports it, takes an SRTP call over TLS on the registered contact, records it, unregisters on close', async () => {
    const srf = new FakeSrf();
    const verifier = new DigestVerifier({ realm: 'pbx.example.com' });
    srf.onRequest = (req) => {
      const check = verifier.verify(req.headers.Authorization, 'REGISTER', (u) => (u === 'ext100' ? 'pbx-secret' : undefined));
      if (!check.ok) return response(401, 'Unauthorized', { 'WWW-Authenticate': verifier.challenge() });
      return response(200, 'OK', { Contact: `${req.headers.Contact}`, Expires: req.headers.Expires! });
    };
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sec-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'pbx', mediaEncryption: 'required', register: { username: 'ext100', password: 'pbx-secret', registrar: '127.0.0.1:5061', transport: 'tls', expires: 300 } }],
      routes: { byNumber: {}, byTrunk: { pbx: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '47000', RTP_PORT_MAX: '47999', SIP_READY_REQUIRES_REGISTRATION: 'true',
    }, {}, { sipSrf: srf });
    const readyz = async (): Promise<{ status: number; body: { registrations?: Array<{ state: string; trunkId: string }> } }> => {
      const r = await fetch(`${harness!.bridgeUrl}/readyz`);
      return { status: r.status, body: await r.json() as never };
    };
    expect((await readyz()).status).toBe(503); // drachtio not connected, not registered
    srf.emit('connect', null, 'udp/127.0.0.1:5060,tls/127.0.0.1:5061');
    await until(async () => (await readyz()).status === 200);
    expect((await readyz()).body.registrations).toEqual([expect.objectContaining({ trunkId: 'pbx', state: 'registered', aor: 'sips:ext100@127.0.0.1' })]);
    expect(srf.requests[1]!.headers.Contact).toBe('<sips:ext100@127.0.0.1:5061;transport=tls>;expires=300');
    const metrics = await (await fetch(`${harness.bridgeUrl}/metrics`)).text();
    expect(metrics).toMatch(/bridge_sip_registration_up\{trunk="pbx"\} 1/);

    // The PBX delivers a call to our registered contact, over TLS, with SRTP.
    const key = new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30));
    const savp = sdpOffer({ address: '127.0.0.1', port: 40010, pts: '0 101' }).replace('RTP/AVP', 'RTP/SAVP')
      + `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key.inlineBase64()}\r\n`;
    const base = inviteFrom({ to: '+15550009999', sdp: savp, source: '127.0.0.1' });
    const invite = new FakeRequest('INVITE', 'sips:ext100@127.0.0.1:5061;transport=tls', Object.fromEntries(base.headers), savp, '127.0.0.1', 5061, 'tls');
    const res = srf.receiveInvite(invite);
    await until(() => res.finalResponseSent);
    expect(res.last!.status).toBe(200);
    const m = sdpTransform.parse(res.last!.body!).media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto?.[0]?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    (srf.uasDialogs[0] as FakeDialog).ack();
    const callId = invite.get('Call-ID')!;
    await until(async () => Boolean((await harness!.store.calls.get(callId))?.media));
    const record = await harness.store.calls.get(callId);
    expect(record?.media).toEqual({ transport: 'tls', srtp: true, suite: 'AES_CM_128_HMAC_SHA1_80' });
    expect(record?.agentId).toBe('agent_test');
    const after = await (await fetch(`${harness.bridgeUrl}/metrics`)).text();
    expect(after).toMatch(/bridge_sip_calls_media_total\{direction="inbound",transport="tls",media="AES_CM_128_HMAC_SHA1_80"\} 1/);

    // The same trunk refuses plain RTP (mediaEncryption: required).
    const plainBase = inviteFrom({ to: '+15550009999', source: '127.0.0.1' });
    const plain = srf.receiveInvite(new FakeRequest('INVITE', 'sips:ext100@127.0.0.1:5061;transport=tls', Object.fromEntries(plainBase.headers), sdpOffer(), '127.0.0.1', 5061, 'tls'));
    await until(() => plain.finalResponseSent);
    expect(plain.last!.status).toBe(488);

    // Someone else using our contact user, from elsewhere: not the registrar, no trunk → 403.
    const spoof = srf.receiveInvite(new FakeRequest('INVITE', 'sip:ext100@127.0.0.1', Object.fromEntries(inviteFrom({ source: '198.51.100.9' }).headers), savp, '198.51.100.9'));
    await until(() => spoof.finalResponseSent);
    expect(spoof.last!.status).toBe(403);

    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    const sent = srf.requests.length;
    await harness.close();
    harness = undefined;
    expect(srf.requests.length).toBeGreaterThan(sent);
    expect(srf.requests.at(-1)!.headers.Expires).toBe('0');
  });
});
