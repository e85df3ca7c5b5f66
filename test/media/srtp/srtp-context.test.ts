import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { estimateRoc, SrtpContext } from '../../../media/srtp/srtp-context.js';
import { SrtpMasterKey } from '../../../media/srtp/srtp-key.js';
import { ReplayWindow } from '../../../media/srtp/replay-window.js';
import type { SrtpSuiteName } from '../../../media/srtp/srtp-suites.js';

function rtp(seq: number, ssrc = 0x11223344, payload = Buffer.alloc(160, seq & 0xff)): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80; h[1] = 0; h.writeUInt16BE(seq & 0xffff, 2); h.writeUInt32BE((seq * 160) >>> 0, 4); h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

/** Two ends of one SDES exchange: A's local key is B's remote key and vice versa. */
function pair(suite: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80'): { a: SrtpContext; b: SrtpContext } {
  const ka = new SrtpMasterKey(suite, randomBytes(30));
  const kb = new SrtpMasterKey(suite, randomBytes(30));
  return { a: new SrtpContext(ka, kb), b: new SrtpContext(kb, ka) };
}

describe('SrtpContext (RFC 3711)', () => {
  it.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const)('%s: round trip, header clear, payload encrypted, tag length', (suite) => {
    const { a, b } = pair(suite);
    const plain = rtp(1);
    const wire = a.protectRtp(plain);
    expect(wire.length).toBe(plain.length + (suite.endsWith('80') ? 10 : 4));
    expect(wire.subarray(0, 12)).toEqual(plain.subarray(0, 12));
    expect(wire.subarray(12, plain.length).equals(plain.subarray(12))).toBe(false);
    const got = b.unprotectRtp(wire);
    expect(got.ok && got.packet.equals(plain)).toBe(true);
  });

  it('tampered payload or tag, replayed packet, wrong key: dropped and counted, later packets still pass', () => {
    const { a, b } = pair();
    const first = a.protectRtp(rtp(10));
    expect(b.unprotectRtp(first).ok).toBe(true);
    expect(b.unprotectRtp(first)).toEqual({ ok: false, reason: 'replayed' });
    const flipped = a.protectRtp(rtp(11));
    flipped[20]! ^= 1;
    expect(b.unprotectRtp(flipped)).toEqual({ ok: false, reason: 'auth-failed' });
    const badTag = a.protectRtp(rtp(12));
    badTag[badTag.length - 1]! ^= 0x80;
    expect(b.unprotectRtp(badTag)).toEqual({ ok: false, reason: 'auth-failed' });
    const stranger = new SrtpContext(new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30)), new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30)));
    expect(b.unprotectRtp(stranger.protectRtp(rtp(13)))).toEqual({ ok: false, reason: 'auth-failed' });
    expect(b.unprotectRtp(Buffer.alloc(8))).toEqual({ ok: false, reason: 'malformed' });
    expect(b.unprotectRtp(a.protectRtp(rtp(14))).ok).toBe(true);
    // A forged packet (auth failed) did not move the window: the real seq 11 still gets in.
    expect(b.unprotectRtp(a.protectRtp(rtp(11))).ok).toBe(true);
    expect(b.stats.dropped).toEqual({ 'auth-failed': 3, replayed: 1, 'too-old': 0, malformed: 1 });
    expect(b.stats.rtpUnprotected).toBe(3);
  });

  it('roll-over counter: 70 000 packets across the 16-bit wrap decrypt; sender and receiver agree', () => {
    const { a, b } = pair();
    for (let i = 65_000; i < 65_000 + 1_200; i++) {
      const plain = rtp(i);
      const got = b.unprotectRtp(a.protectRtp(plain));
      if (!got.ok || !got.packet.equals(plain)) throw new Error(`packet ${i} failed: ${JSON.stringify(got)}`);
    }
    expect(b.stats.rtpUnprotected).toBe(1_200);
  });

  it('reordering within the window is accepted once; far-old packets are too-old', () => {
    const { a, b } = pair();
    const wire = Array.from({ length: 300 }, (_, i) => a.protectRtp(rtp(65_500 + i)));
    for (const i of [0, 2, 1, 5, 4, 3]) expect(b.unprotectRtp(wire[i]!).ok).toBe(true);
    for (let i = 6; i < 300; i++) expect(b.unprotectRtp(wire[i]!).ok).toBe(true);
    expect(b.unprotectRtp(wire[10]!)).toEqual({ ok: false, reason: 'too-old' });
    expect(b.unprotectRtp(wire[299]!)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('SRTCP: E flag and index appended, 80-bit tag even with the 32-bit suite, replay dropped', () => {
    const { a, b } = pair('AES_CM_128_HMAC_SHA1_32');
    const rr = Buffer.from('81c90007' + '11223344' + 'cafebabe' + '0d00fffe' + '0001fffe' + '00000025' + '12345678' + '00010000', 'hex');
    const wire = a.protectRtcp(rr);
    expect(wire.length).toBe(rr.length + 4 + 10);
    expect(wire.readUInt32BE(rr.length)).toBe(0x8000_0000); // E=1, index 0
    const got = b.unprotectRtcp(wire);
    expect(got.ok && got.packet.equals(rr)).toBe(true);
    expect(b.unprotectRtcp(wire)).toEqual({ ok: false, reason: 'replayed' });
    const second = a.protectRtcp(rr);
    second[10]! ^= 4;
    expect(b.unprotectRtcp(second)).toEqual({ ok: false, reason: 'auth-failed' });
  });

  it('RFC 3711 §3.3.1 index estimate and the replay window', () => {
    expect(estimateRoc(3, 65_530, 5)).toBe(4);
    expect(estimateRoc(4, 5, 65_530)).toBe(3);
    expect(estimateRoc(4, 100, 200)).toBe(4);
    const w = new ReplayWindow();
    w.accept(1000);
    expect(w.check(1000)).toBe('replayed');
    expect(w.check(999)).toBe('new');
    expect(w.check(1000 - 128)).toBe('too-old');
    w.accept(1500);
    expect(w.check(1499)).toBe('new');
    expect(w.check(1000)).toBe('too-old');
  });

  it('a peer key with an MKI (RFC 3711 §3.1): the MKI between payload and tag is skipped, outside the authenticated portion', () => {
    const theirs = randomBytes(30);
    const ours = new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30));
    const sender = new SrtpContext(new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', theirs), ours);
    const receiver = new SrtpContext(ours, new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', theirs, 4));
    const plain = rtp(5);
    const wire = sender.protectRtp(plain);
    const withMki = Buffer.concat([wire.subarray(0, plain.length), Buffer.from([0, 0, 0, 1]), wire.subarray(plain.length)]);
    const got = receiver.unprotectRtp(withMki);
    expect(got.ok && got.packet.equals(plain)).toBe(true);
    const rr = Buffer.from('80c9000111223344', 'hex');
    const rtcp = sender.protectRtcp(rr);
    const rtcpMki = Buffer.concat([rtcp.subarray(0, rr.length + 4), Buffer.from([0, 0, 0, 1]), rtcp.subarray(rr.length + 4)]);
    expect(receiver.unprotectRtcp(rtcpMki).ok).toBe(true);
  });

  it('a master key never prints or serialises', () => {
    const key = new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', Buffer.alloc(30, 0x41));
    const b64 = key.inlineBase64();
    expect(JSON.stringify({ key })).not.toContain(b64);
    expect(inspect({ key })).not.toContain(b64);
    expect(`${key}`).not.toContain(b64);
  });
});
