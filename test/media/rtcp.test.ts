import { describe, expect, it } from 'vitest';
import {
  ntpFromUnixMs, ntpMiddle32, parseRtcp, writeBye, writeReceiverReport, writeSdesCname, writeSenderReport, type ReportBlock,
} from '../../media/rtcp.js';
import { RtpReceiveStats } from '../../media/rtp-receive-stats.js';

const block: ReportBlock = {
  ssrc: 0xcafebabe, fractionLost: 13, cumulativeLost: -2, extendedHighestSeq: 0x1fffe, jitter: 37, lastSr: 0x12345678, delaySinceLastSr: 65536,
};

describe('RTCP packets (RFC 3550 §6)', () => {
  it('RR + SDES CNAME: byte layout and parse back', () => {
    const buf = new Uint8Array(200);
    let n = writeReceiverReport(buf, 0, 0x11223344, [block]);
    expect(n).toBe(32);
    expect([...buf.subarray(0, 4)]).toEqual([0x81, 201, 0, 7]); // V=2 RC=1, length 8 words − 1
    expect([...buf.subarray(12, 16)]).toEqual([13, 0xff, 0xff, 0xfe]); // fraction, 24-bit −2
    n = writeSdesCname(buf, n, 0x11223344, 'bridge@x'); // 4+2+8+1 = 15 → 16 bytes of chunk
    expect(n).toBe(32 + 4 + 16);
    expect(buf[33]).toBe(202);
    const r = parseRtcp(buf, n);
    if (typeof r === 'string') throw new Error(r);
    expect(r.receiverReports).toEqual([{ ssrc: 0x11223344, blocks: [block] }]);
  });

  it('SR + BYE parse back', () => {
    const buf = new Uint8Array(200);
    const info = { ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 };
    let n = writeSenderReport(buf, 0, 7, info, []);
    n = writeBye(buf, n, 7);
    const r = parseRtcp(buf, n);
    if (typeof r === 'string') throw new Error(r);
    expect(r.senderReports).toEqual([{ ssrc: 7, info, blocks: [] }]);
    expect(r.byes).toEqual([7]);
  });

  it('rejects what A.2 says is invalid', () => {
    const buf = new Uint8Array(64);
    const n = writeReceiverReport(buf, 0, 1, [block]);
    expect(parseRtcp(buf, 4)).toBe('too-short');
    expect(parseRtcp(buf, n - 4)).toBe('bad-length');
    const bye = new Uint8Array(8);
    writeBye(bye, 0, 1);
    expect(parseRtcp(bye, 8)).toBe('not-sr-or-rr-first');
  });

  it('NTP conversion and the LSR middle 32 bits', () => {
    const t = ntpFromUnixMs(1_700_000_000_500);
    expect(t.seconds).toBe(1_700_000_000 + 2_208_988_800);
    expect(t.fraction).toBe(2 ** 31);
    expect(ntpMiddle32(0x0001abcd, 0x12340000)).toBe(0xabcd1234);
  });
});

describe('RtpReceiveStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('extended highest sequence across the wrap; loss and fraction per interval', () => {
    const s = new RtpReceiveStats();
    let seq = 65500;
    for (let k = 0; k < 100; k++, seq = (seq + 1) & 0xffff) {
      if (k % 10 === 3) continue; // 10 % loss
      s.update(9, seq, k * 160, k * 160);
    }
    const b = s.reportBlock();
    expect(b.extendedHighestSeq).toBe(65536 + 63);
    expect(b.cumulativeLost).toBe(10);
    expect(b.fractionLost).toBe(Math.floor((10 * 256) / 100));
    expect(b.jitter).toBe(0); // perfectly regular arrivals
    expect(s.reportBlock().fractionLost).toBe(0); // nothing new in this interval
  });

  it('jitter converges to the mean |D| of alternating ±J arrival offsets (A.8)', () => {
    const s = new RtpReceiveStats();
    for (let k = 0; k < 2000; k++) s.update(1, k, k * 160, k * 160 + (k % 2 ? 40 : 0));
    expect(s.jitter).toBeGreaterThanOrEqual(38);
    expect(s.jitter).toBeLessThanOrEqual(40);
  });

  it('ignores a single wild sequence number; accepts a confirmed restart', () => {
    const s = new RtpReceiveStats();
    for (let k = 0; k < 10; k++) s.update(1, 1000 + k, 0, 0);
    expect(s.update(1, 30000, 0, 0)).toBe(false);
    expect(s.extendedHighestSeq).toBe(1009);
    expect(s.update(1, 30001, 0, 0)).toBe(true);
    expect(s.extendedHighestSeq).toBe(30001);
    expect(s.cumulativeLost).toBe(0);
  });
});
