import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import {
  answerOffer, buildOffer, parseAnswer, readOrigin, reofferHold, reofferUnhold, type Answer, type LocalMedia,
} from '../../../sip/media/sdp-negotiation.js';
import * as offers from './sdp-offers.js';

const local: LocalMedia = { address: '203.0.113.5', port: 40000, codecs: ['PCMU', 'PCMA'], ptime: 20 };

function answer(offer: string, opts: Partial<LocalMedia> = {}): Answer {
  const a = answerOffer(offer, { ...local, ...opts });
  if (!a.ok) throw new Error(`expected an answer, got 488: ${a.reason}`);
  return a;
}

/** m= lines of an SDP as [type, port, protocol, payloads]. */
function mLines(sdp: string): Array<[string, number, string, string]> {
  return sdpTransform.parse(sdp).media.map((m) => [m.type, m.port, m.protocol, String(m.payloads)]);
}

describe('answerOffer on real-world offers', () => {
  it('Twilio trunk: PCMU + telephone-event 101, ptime 20, sendrecv', () => {
    const a = answer(offers.twilioTrunk);
    expect(a).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, direction: 'sendrecv', ptime: 20, rtcpMux: false,
      remote: { address: '198.51.100.21', port: 13858, rtcpPort: 13859 } });
    expect(mLines(a.answerSdp)).toEqual([['audio', 40000, 'RTP/AVP', '0 101']]);
    const parsed = sdpTransform.parse(a.answerSdp);
    expect(parsed.connection?.ip).toBe('203.0.113.5');
    expect(parsed.origin.address).toBe('203.0.113.5');
    expect(parsed.media[0]!.ptime).toBe(20);
    expect(parsed.media[0]!.direction).toBe('sendrecv');
    expect(parsed.media[0]!.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
  });

  it('Telnyx: skips G.722/G.729, picks PCMU, reads a=rtcp port', () => {
    const a = answer(offers.telnyx);
    expect(a).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, remote: { port: 30522, rtcpPort: 30523 } });
  });

  it('Asterisk offering only PCMA: PCMA even though we prefer PCMU', () => {
    const a = answer(offers.asteriskPcmaFirst);
    expect(a).toMatchObject({ codec: 'PCMA', payloadType: 8, telephoneEventPt: 101 });
    expect(mLines(a.answerSdp)[0]![3]).toBe('8 101');
  });

  it('our preference order decides between PCMU and PCMA', () => {
    expect(answer(offers.twilioTrunk, { codecs: ['PCMA', 'PCMU'] }).codec).toBe('PCMA');
  });

  it('Asterisk hold (sendonly) is answered recvonly', () => {
    const a = answer(offers.asteriskHold);
    expect(a.direction).toBe('recvonly');
    expect(sdpTransform.parse(a.answerSdp).media[0]!.direction).toBe('recvonly');
  });

  it('Cisco CUBE: session-level c= only, telephone-event at 100, no direction attribute = sendrecv', () => {
    const a = answer(offers.ciscoCube);
    expect(a).toMatchObject({ codec: 'PCMU', telephoneEventPt: 100, direction: 'sendrecv', remote: { address: '192.0.2.50', port: 16384 } });
    expect(sdpTransform.parse(a.answerSdp).media[0]!.rtp.map((r) => r.codec)).toEqual(['PCMU', 'telephone-event']);
  });

  it('Cisco CUBE with G.729 only: 488 with a reason naming the offer', () => {
    const a = answerOffer(offers.ciscoG729Only, local);
    expect(a).toMatchObject({ ok: false, status: 488 });
    expect(!a.ok && a.reason).toMatch(/G729/);
  });

  it('FreeSWITCH asking for ptime 30: reported so the sender can honour it; opus skipped', () => {
    const a = answer(offers.freeswitchPtime30);
    expect(a).toMatchObject({ codec: 'PCMU', payloadType: 0, ptime: 30, remote: { rtcpPort: 24001 } });
  });

  it('media-level c= wins over session level; lower-case names; first telephone-event/8000', () => {
    const a = answer(offers.mediaServerTwoLevels);
    expect(a).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, remote: { address: '192.0.2.99', port: 37402 } });
  });

  it('telephone-event/8000 at 96 chosen over telephone-event/48000; rtcp-mux accepted', () => {
    const a = answer(offers.sbcRtcpMux);
    expect(a).toMatchObject({ codec: 'PCMA', telephoneEventPt: 96, rtcpMux: true, remote: { address: '198.51.100.9', port: 11492, rtcpPort: 11492 } });
    expect(sdpTransform.parse(a.answerSdp).media[0]!.rtcpMux).toBe('rtcp-mux');
  });

  it('audio + video: static PTs without rtpmap are recognised; video rejected with port 0, order kept', () => {
    const a = answer(offers.softphoneWithVideo);
    expect(a).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
    expect(mLines(a.answerSdp)).toEqual([['audio', 40000, 'RTP/AVP', '0 101'], ['video', 0, 'RTP/AVP', '96 97']]);
  });

  it('c=0.0.0.0 hold: remote address 0.0.0.0 (send nothing), still answered', () => {
    expect(answer(offers.oldStyleHold).remote.address).toBe('0.0.0.0');
  });

  it('SRTP only (key with lifetime and MKI): answered RTP/SAVP with our own key under its tag; 488 when SRTP is disabled', () => {
    const a = answer(offers.srtpOnly);
    expect(mLines(a.answerSdp)).toEqual([['audio', 40000, 'RTP/SAVP', '0 101']]);
    expect(a.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', tag: 1 });
    expect(a.srtp!.remoteKey.mkiLength).toBe(32);
    expect(a.answerSdp).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}\r$/m);
    expect(a.answerSdp).not.toContain('WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz');
    const off = answerOffer(offers.srtpOnly, { ...local, mediaEncryption: 'disabled' });
    expect(off).toMatchObject({ ok: false, status: 488 });
    expect(!off.ok && off.reason).toMatch(/RTP\/SAVP offered but SRTP is disabled/);
  });

  it('SRTP re-INVITE: same peer key → our key is kept (RFC 4568 §7.1.4); a new peer key → a fresh key of ours', () => {
    const first = answer(offers.srtpOnly);
    const again = answer(offers.srtpOnly, { previous: first.answerSdp, currentSrtp: first.srtp, mediaEncryption: 'required' });
    expect(again.srtp!.localKey).toBe(first.srtp!.localKey);
    expect(again.answerSdp.split('\r\n').find((l) => l.startsWith('o='))).toBe(first.answerSdp.split('\r\n').find((l) => l.startsWith('o=')));
    const rekeyed = offers.srtpOnly.replace('WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', Buffer.alloc(30, 7).toString('base64'));
    const fresh = answer(rekeyed, { previous: first.answerSdp, currentSrtp: first.srtp, mediaEncryption: 'required' });
    expect(fresh.srtp!.localKey.equals(first.srtp!.localKey)).toBe(false);
    expect(answerOffer(offers.bestEffortSrtpAndFax.replace(/m=audio 6000[^]*?(?=m=audio 6002)/, ''), { ...local, mediaEncryption: 'required' }))
      .toMatchObject({ ok: false, status: 488 });
  });

  it('best-effort SRTP + T.38: takes the SRTP audio line (plain when SRTP is disabled), rejects the others, keeps count and order', () => {
    const a = answer(offers.bestEffortSrtpAndFax);
    expect(a.remote.port).toBe(6000);
    expect(mLines(a.answerSdp)).toEqual([
      ['audio', 40000, 'RTP/SAVP', '0 101'], ['audio', 0, 'RTP/AVP', '0 101'], ['image', 0, 'udptl', 't38'],
    ]);
    const plain = answerOffer(offers.bestEffortSrtpAndFax, { ...local, mediaEncryption: 'disabled' });
    if (!plain.ok) throw new Error(plain.reason);
    expect(plain.remote.port).toBe(6002);
    expect(plain.srtp).toBeUndefined();
    expect(mLines(plain.answerSdp)).toEqual([
      ['audio', 0, 'RTP/SAVP', '0 101'], ['audio', 40000, 'RTP/AVP', '0 101'], ['image', 0, 'udptl', 't38'],
    ]);
  });

  it('IPv6 recvonly offer: answered sendonly; our IPv6 address gets IP6', () => {
    const a = answer(offers.ipv6RecvOnly, { address: '2001:db8::5' });
    expect(a).toMatchObject({ codec: 'PCMA', direction: 'sendonly', remote: { address: '2001:db8::10' } });
    expect(a.answerSdp).toContain('c=IN IP6 2001:db8::5');
  });

  it('garbage and empty offers: 488', () => {
    expect(answerOffer('', local)).toMatchObject({ ok: false, status: 488 });
    expect(answerOffer('v=0\r\ns=-\r\n', local)).toMatchObject({ ok: false, status: 488 });
  });
});

describe('o= version across a session (RFC 3264 §8)', () => {
  it('a re-answer keeps the id and version when unchanged and bumps the version when changed', () => {
    const first = answer(offers.asteriskPcmaFirst, { sessionId: '777', sessionVersion: 777 });
    expect(readOrigin(first.answerSdp)).toEqual({ sessionId: '777', sessionVersion: 777 });
    const refresh = answer(offers.asteriskPcmaFirst, { previous: first.answerSdp });
    expect(refresh.answerSdp).toBe(first.answerSdp);
    const hold = answer(offers.asteriskHold, { previous: first.answerSdp });
    expect(readOrigin(hold.answerSdp)).toEqual({ sessionId: '777', sessionVersion: 778 });
    const newPort = answer(offers.asteriskPcmaFirst, { previous: hold.answerSdp, port: 40002 });
    expect(readOrigin(newPort.answerSdp)).toEqual({ sessionId: '777', sessionVersion: 779 });
  });

  it('reofferHold / reofferUnhold change only the direction and bump the version', () => {
    const offer = buildOffer({ ...local, sessionId: '42', sessionVersion: 42 });
    const hold = reofferHold(offer);
    expect(readOrigin(hold)).toEqual({ sessionId: '42', sessionVersion: 43 });
    expect(sdpTransform.parse(hold).media[0]!.direction).toBe('sendonly');
    expect(sdpTransform.parse(reofferHold(offer, 'inactive')).media[0]!.direction).toBe('inactive');
    const resume = reofferUnhold(hold);
    expect(readOrigin(resume)).toEqual({ sessionId: '42', sessionVersion: 44 });
    expect(resume.replace(/^o=.*$/m, '')).toBe(offer.replace(/^o=.*$/m, ''));
  });

  it('hold keeps rejected m= lines free of direction attributes', () => {
    const a = answer(offers.softphoneWithVideo);
    const held = sdpTransform.parse(reofferHold(a.answerSdp));
    expect(held.media.map((m) => m.direction)).toEqual(['sendonly', undefined]);
  });
});

describe('outbound: buildOffer and parseAnswer', () => {
  it('offers our codecs with static PTs, telephone-event 101, ptime 20', () => {
    const o = sdpTransform.parse(buildOffer({ ...local, codecs: ['PCMA', 'PCMU'] }));
    expect(o.media[0]).toMatchObject({ type: 'audio', port: 40000, protocol: 'RTP/AVP', payloads: '8 0 101', ptime: 20, direction: 'sendrecv' });
    expect(o.media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['8 PCMA/8000', '0 PCMU/8000', '101 telephone-event/8000']);
  });

  it('reads the codec the answerer put first, its telephone-event PT and its address', () => {
    const ans = offers.telnyx.replace('m=audio 30522 RTP/AVP 9 18 0 8 101', 'm=audio 30522 RTP/AVP 8 0 101');
    const r = parseAnswer(ans, ['PCMU', 'PCMA']);
    expect(r).toMatchObject({ ok: true, codec: 'PCMA', payloadType: 8, telephoneEventPt: 101, remote: { address: '198.51.100.40', port: 30522 } });
  });

  it('an answer with nothing we offered (or a rejected audio line) fails', () => {
    expect(parseAnswer(offers.ciscoG729Only, ['PCMU', 'PCMA'])).toMatchObject({ ok: false, status: 488 });
    const rejected = offers.twilioTrunk.replace('m=audio 13858', 'm=audio 0');
    expect(parseAnswer(rejected, ['PCMU'])).toMatchObject({ ok: false });
  });
});
