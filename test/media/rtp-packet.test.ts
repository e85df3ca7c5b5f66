import { describe, expect, it } from 'vitest';
import {
  looksLikeRtcp, newRtpHeader, parseRtpHeader, seqDelta, tsDelta, writeRtpPacket,
} from '../../media/rtp-packet.js';

/** A hand-assembled packet (RFC 3550 §5.1 bit layout), independent of the writer. */
function rawPacket(opts: { csrc?: number; ext?: number[]; pad?: number; payload?: number[]; m?: boolean; pt?: number }): Uint8Array {
  const csrc = opts.csrc ?? 0;
  const bytes: number[] = [
    0x80 | (opts.pad ? 0x20 : 0) | (opts.ext ? 0x10 : 0) | csrc,
    (opts.m ? 0x80 : 0) | (opts.pt ?? 8),
    0xab, 0xcd, // seq 43981
    0xde, 0xad, 0xbe, 0xef, // ts
    0x12, 0x34, 0x56, 0x78, // ssrc
  ];
  for (let i = 0; i < csrc; i++) bytes.push(0, 0, 0, i + 1);
  if (opts.ext) bytes.push(0xbe, 0xde, 0, opts.ext.length / 4, ...opts.ext);
  bytes.push(...(opts.payload ?? [1, 2, 3, 4]));
  if (opts.pad) {
    for (let i = 0; i < opts.pad - 1; i++) bytes.push(0);
    bytes.push(opts.pad);
  }
  return Uint8Array.from(bytes);
}

describe('RTP header (RFC 3550 §5.1)', () => {
  it('reads every field of a plain packet', () => {
    const h = newRtpHeader();
    const p = rawPacket({ m: true, pt: 0 });
    expect(parseRtpHeader(p, p.length, h)).toBeNull();
    expect(h).toMatchObject({ marker: true, payloadType: 0, sequenceNumber: 0xabcd, timestamp: 0xdeadbeef, ssrc: 0x12345678, payloadOffset: 12, payloadLength: 4 });
  });

  it('skips CSRCs, the header extension and padding', () => {
    const h = newRtpHeader();
    const p = rawPacket({ csrc: 2, ext: [9, 9, 9, 9, 8, 8, 8, 8], pad: 3, payload: [7, 7, 7, 7, 7] });
    expect(parseRtpHeader(p, p.length, h)).toBeNull();
    expect(h.csrcCount).toBe(2);
    expect(h.payloadOffset).toBe(12 + 8 + 4 + 8);
    expect(h.payloadLength).toBe(5);
    expect([...p.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength)]).toEqual([7, 7, 7, 7, 7]);
  });

  it('rejects malformed packets with a code', () => {
    const h = newRtpHeader();
    expect(parseRtpHeader(new Uint8Array(11), 11, h)).toBe('too-short');
    const v1 = rawPacket({});
    v1[0] = 0x40;
    expect(parseRtpHeader(v1, v1.length, h)).toBe('bad-version');
    const cc = rawPacket({ payload: [] });
    cc[0] = 0x8f; // 15 CSRCs announced, none present
    expect(parseRtpHeader(cc, cc.length, h)).toBe('truncated-csrc');
    const ext = rawPacket({ ext: [1, 2, 3, 4], payload: [] });
    ext[15] = 9; // extension claims 9 words
    expect(parseRtpHeader(ext, ext.length, h)).toBe('truncated-extension');
    const pad = rawPacket({ payload: [1, 2] });
    pad[0] |= 0x20;
    pad[pad.length - 1] = 0;
    expect(parseRtpHeader(pad, pad.length, h)).toBe('bad-padding');
    pad[pad.length - 1] = 200;
    expect(parseRtpHeader(pad, pad.length, h)).toBe('bad-padding');
    const rtcp = Uint8Array.from([0x80, 201, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(looksLikeRtcp(rtcp)).toBe(true);
    expect(parseRtpHeader(rtcp, rtcp.length, h)).toBe('rtcp');
  });

  it('round-trips through the writer and honours a datagram length shorter than the buffer', () => {
    const buf = new Uint8Array(1500).fill(0xee);
    const payload = new Uint8Array(160).fill(0xd5);
    const n = writeRtpPacket(buf, { marker: false, payloadType: 8, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 1 }, payload);
    expect(n).toBe(172);
    const h = newRtpHeader();
    expect(parseRtpHeader(buf, n, h)).toBeNull();
    expect(h).toMatchObject({ marker: false, payloadType: 8, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 1, payloadLength: 160 });
  });

  it('computes signed sequence and timestamp distances across the wrap', () => {
    expect(seqDelta(2, 65534)).toBe(4);
    expect(seqDelta(65534, 2)).toBe(-4);
    expect(seqDelta(100, 100)).toBe(0);
    expect(tsDelta(80, 4294967216)).toBe(160);
    expect(tsDelta(4294967216, 80)).toBe(-160);
  });
});
