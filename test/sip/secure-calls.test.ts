/**
 * SRTP (SDES) and TLS signalling through the SIP signalling code against the
 * fake Srf, with real RTP sockets: an RTP/SAVP INVITE is answered with our own
 * fresh key, SRTP audio from the far end plays out of the leg's session, the
 * far end decrypts ours, tampered/replayed/wrong-key packets are dropped and
 * counted; `required` refuses plain offers with 488, `disabled` refuses SAVP;
 * outbound `required` offers RTP/SAVP over sips:.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import sdpTransform from 'sdp-transform';
import { afterEach, describe, expect, it } from 'vitest';
import { SrtpContext } from '../../media/srtp/srtp-context.js';
import { SrtpMasterKey } from '../../media/srtp/srtp-key.js';
import type { SrtpDropReason } from '../../media/srtp/srtp-stats.js';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { parseCrypto, type MediaEncryption } from '../../sip/media/sdes.js';
import { identifyTrunk, negotiateMedia, routeToAgent } from '../../sip/signaling/inbound-chain.js';
import { serveInbound, type InboundOutcome } from '../../sip/signaling/inbound-call.js';
import { rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import { dialWithMedia } from '../../sip/signaling/outbound-leg.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import type { TrunkConfig } from '../../sip/signaling/trunks.js';
import { FakeRequest, FakeSrf, inviteFrom, sdpOffer, type FakeResponse } from './fake-srf.js';
import { paced, waitFor } from '../support/wait.js';

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const f of open.splice(0).reverse()) await f(); });

const SUITE = 'AES_CM_128_HMAC_SHA1_80';

function savpOffer(port: number, key: SrtpMasterKey, extra: string[] = []): string {
  return sdpOffer({ port, address: '127.0.0.1' }).replace('RTP/AVP', 'RTP/SAVP')
    + [...extra, `a=crypto:7 ${key.suite} inline:${key.inlineBase64()}`].join('\r\n') + '\r\n';
}

function harness(mode: MediaEncryption, trunkMode?: MediaEncryption) {
  const srf = new FakeSrf();
  const drops: Array<[SrtpDropReason, string]> = [];
  const media: MediaOptions = {
    ports: new PortAllocator({ min: 43000, max: 43999 }), publicAddress: '127.0.0.1', codecs: ['PCMU', 'PCMA'], mediaEncryption: mode,
    factory: rtpSessionFactory({ bindAddress: '127.0.0.1', inactivityTimeoutMs: 60_000, onSrtpDrop: (r, k) => drops.push([r, k]) }),
  };
  const trunks: TrunkConfig[] = [{ id: 'carrier', mediaEncryption: trunkMode, inbound: { allowedCidrs: ['127.0.0.0/8', '203.0.113.0/24'] } }];
  const legs: SipDialogLeg[] = [];
  const outcomes: InboundOutcome[] = [];
  serveInbound(srf, {
    publicAddress: '127.0.0.1', ackTimeoutMs: 500,
    chain: [identifyTrunk(trunks), routeToAgent({ byNumber: {}, defaultAgentId: 'agent' }), negotiateMedia(media)],
    onCall: (leg) => { legs.push(leg); open.push(() => leg.hangup()); },
    onOutcome: (o) => outcomes.push(o),
  });
  const call = async (req: FakeRequest): Promise<FakeResponse> => {
    const res = srf.receiveInvite(req);
    await until(() => res.sent.some((r) => r.status >= 200));
    if (res.last!.status === 200) srf.uasDialogs.at(-1)!.ack();
    await until(() => outcomes.length > 0);
    return res;
  };
  return { srf, media, drops, legs, outcomes, call };
}

/** Waits for `cond`; the deadline only bounds a failure. */
async function until(cond: () => boolean): Promise<void> {
  await waitFor(cond, { timeoutMs: 15_000, everyMs: 5 });
}

async function peerSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

function rtp(seq: number, ssrc: number, fill: number): Buffer {
  const p = Buffer.alloc(172, fill);
  p[0] = 0x80; p[1] = 0; p.writeUInt16BE(seq, 2); p.writeUInt32BE(seq * 160, 4); p.writeUInt32BE(ssrc, 8);
  return p;
}

describe('inbound RTP/SAVP (SDES) over the fake Srf', () => {
  it('answers with our own fresh key under the offered tag and suite; SRTP flows both ways; bad packets dropped and counted', async () => {
    const h = harness('allowed');
    const peer = await peerSocket();
    const theirKey = new SrtpMasterKey(SUITE, randomBytes(30));
    const invite = inviteFrom({ source: '127.0.0.1', sdp: savpOffer(peer.address().port, theirKey) });
    const tlsInvite = new FakeRequest('INVITE', invite.uri, Object.fromEntries(invite.headers), invite.body, '127.0.0.1', 5061, 'tls');
    const ok = await h.call(tlsInvite);
    expect(ok.last!.status).toBe(200);
    const answer = sdpTransform.parse(ok.last!.body!);
    const m = answer.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto).toHaveLength(1);
    const ours = parseCrypto(m.crypto![0]!)!;
    expect(ours.tag).toBe(7);
    expect(ours.key.suite).toBe(SUITE);
    expect(ours.key.equals(theirKey)).toBe(false);
    const leg = h.legs[0]!;
    expect(leg.transport).toBe('tls');
    expect(leg.media.srtp?.suite).toBe(SUITE);

    // The far end: protects with its key, unprotects ours.
    const far = new SrtpContext(theirKey, ours.key);
    const heard: Uint8Array[] = [];
    leg.media.session.on('audio', (f) => heard.push(f));
    const fromUs: Buffer[] = [];
    peer.on('message', (msg) => { const r = far.unprotectRtp(msg); if (r.ok) fromUs.push(r.packet); });
    const to = leg.media.session.localPort;
    const stranger = new SrtpContext(new SrtpMasterKey(SUITE, randomBytes(30)), ours.key);
    await paced(25, 20, (i) => {
      const wire = far.protectRtp(rtp(1000 + i, 0xabc, 0x2a));
      peer.send(wire, to, '127.0.0.1');
      if (i % 5 === 4) {
        peer.send(wire, to, '127.0.0.1'); // replay
        const bad = Buffer.from(far.protectRtp(rtp(2000 + i, 0xabc, 0x2a))); bad[30]! ^= 1;
        peer.send(bad, to, '127.0.0.1'); // tampered
        peer.send(stranger.protectRtp(rtp(3000 + i, 0xabc, 0x2a)), to, '127.0.0.1'); // wrong key
      }
    });
    await until(() => heard.some((f) => f[0] === 0x2a) && fromUs.length > 5);
    leg.media.session.sendAudio(new Uint8Array(160).fill(0x33));
    await until(() => fromUs.some((p) => p[12] === 0x33));
    await until(() => h.drops.length >= 15);
    const count = (r: SrtpDropReason): number => h.drops.filter(([x]) => x === r).length;
    expect(count('replayed')).toBe(5);
    expect(count('auth-failed')).toBe(10);
    expect(leg.media.session.stats.srtp!.rtpUnprotected).toBe(25);
    expect(leg.isEnded).toBe(false); // the call goes on
  });

  it('required: a plain RTP/AVP offer gets 488; disabled: an RTP/SAVP offer gets 488; a trunk setting overrides the global one', async () => {
    const key = new SrtpMasterKey(SUITE, randomBytes(30));
    const strict = harness('required');
    const plain = await strict.call(inviteFrom({ sdp: sdpOffer() }));
    expect(plain.last!.status).toBe(488);
    expect(plain.last!.reason).toMatch(/SRTP is required/);
    const off = harness('disabled');
    const savp = await off.call(inviteFrom({ sdp: savpOffer(40000, key) }));
    expect(savp.last!.status).toBe(488);
    const perTrunk = harness('allowed', 'required');
    expect((await perTrunk.call(inviteFrom({ sdp: sdpOffer() }))).last!.status).toBe(488);
    const allowedPlain = harness('allowed');
    expect((await allowedPlain.call(inviteFrom({ sdp: sdpOffer() }))).last!.status).toBe(200);
    expect(allowedPlain.legs[0]!.media.srtp).toBeUndefined();
  });
});

describe('outbound calls with SRTP over TLS (fake Srf)', () => {
  it('required: sips: Request-URI, RTP/SAVP offer with one key per suite; the answer\'s tag picks our key', async () => {
    const h = harness('allowed');
    let offered = '';
    let uri = '';
    const theirs = new SrtpMasterKey('AES_CM_128_HMAC_SHA1_32', randomBytes(30));
    h.srf.onUac = (uac) => {
      offered = uac.opts.localSdp ?? '';
      uri = uac.uri;
      const m = sdpTransform.parse(offered).media[0]!;
      const tag2 = m.crypto!.find((c) => c.id === 2)!;
      expect(tag2.suite).toBe('AES_CM_128_HMAC_SHA1_32');
      uac.answer(sdpOffer({ port: 40002, address: '127.0.0.1', pts: '0 101' }).replace('RTP/AVP', 'RTP/SAVP')
        + `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${theirs.inlineBase64()}\r\n`);
    };
    const result = await dialWithMedia(h.srf, { host: 'carrier.example.com', transport: 'tls', mediaEncryption: 'required' }, '+15557654321', h.media, {});
    if (!result.ok) throw new Error(result.reason);
    open.push(() => result.leg.hangup());
    expect(uri).toBe('sips:+15557654321@carrier.example.com;transport=tls');
    const m = sdpTransform.parse(offered).media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto!.map((c) => c.suite)).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
    expect(result.leg.transport).toBe('tls');
    expect(result.leg.media.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(result.leg.media.srtp?.remoteKey.equals(theirs)).toBe(true);
  });

  it('allowed: offers plain RTP/AVP (no a=crypto); a plain answer to a SAVP offer is refused with BYE', async () => {
    const h = harness('allowed');
    let offered = '';
    h.srf.onUac = (uac) => { offered = uac.opts.localSdp ?? ''; uac.answer(sdpOffer({ port: 40004, address: '127.0.0.1' })); };
    const plain = await dialWithMedia(h.srf, { host: 'carrier.example.com' }, '+15557654321', h.media, {});
    if (!plain.ok) throw new Error(plain.reason);
    open.push(() => plain.leg.hangup());
    expect(offered).toContain('RTP/AVP');
    expect(offered).not.toContain('a=crypto');
    const downgraded = await dialWithMedia(h.srf, { host: 'carrier.example.com', mediaEncryption: 'required' }, '+15557654321', h.media, {});
    expect(downgraded.ok).toBe(false);
    expect(h.media.ports.inUse).toBe(1); // only the first call's port
  });
});
