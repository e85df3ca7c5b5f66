import { describe, expect, it } from 'vitest';
import {
  DtmfReceiver, dtmfEventCode, dtmfKey, dtmfPacketPlan, newTelephoneEvent, parseTelephoneEvent, writeTelephoneEvent,
} from '../../media/rtp-dtmf.js';

describe('RFC 4733 §2.3 payload', () => {
  it('parses the example layout: event 5, E set, volume 10, duration 800', () => {
    const e = newTelephoneEvent();
    expect(parseTelephoneEvent(Uint8Array.from([5, 0x80 | 10, 0x03, 0x20]), 0, 4, e)).toBe(true);
    expect(e).toEqual({ event: 5, end: true, volume: 10, duration: 800 });
    expect(parseTelephoneEvent(new Uint8Array(3), 0, 3, e)).toBe(false);
  });

  it('writes what it parses (R bit clear)', () => {
    const buf = new Uint8Array(6);
    writeTelephoneEvent(buf, 2, { event: 11, end: false, volume: 63, duration: 65535 });
    expect([...buf]).toEqual([0, 0, 11, 63, 0xff, 0xff]);
  });

  it('maps keys to event codes (§3.2)', () => {
    expect([...'0123456789*#ABCD'].map((k) => dtmfEventCode(k))).toEqual([...Array(16).keys()]);
    expect(dtmfEventCode('d')).toBe(15);
    expect(dtmfEventCode('E')).toBeUndefined();
    expect(dtmfKey(16)).toBeUndefined(); // flash is not a key
  });
});

describe('DTMF sender (§2.5.1)', () => {
  it('100 ms key: M on first, duration +160 per update, E three times with the final duration', () => {
    expect(dtmfPacketPlan('5', { durationMs: 100 })).toEqual([
      { marker: true, end: false, duration: 160 },
      { marker: false, end: false, duration: 320 },
      { marker: false, end: false, duration: 480 },
      { marker: false, end: false, duration: 640 },
      { marker: false, end: true, duration: 800 },
      { marker: false, end: true, duration: 800 },
      { marker: false, end: true, duration: 800 },
    ]);
  });

  it('a key shorter than one packet is a single update sent as three end packets, the first with M', () => {
    expect(dtmfPacketPlan('#', { durationMs: 10 })).toEqual([
      { marker: true, end: true, duration: 160 },
      { marker: false, end: true, duration: 160 },
      { marker: false, end: true, duration: 160 },
    ]);
  });

  it('rejects a non-key', () => {
    expect(() => dtmfPacketPlan('x')).toThrow(RangeError);
  });
});

describe('DTMF receiver (§2.5.2)', () => {
  const ev = (event: number, duration: number, end = false) => ({ event, end, volume: 10, duration });

  it('reports a key once across updates and the three end packets', () => {
    const r = new DtmfReceiver();
    const got = [
      r.receive(7, 1000, true, ev(1, 160)), r.receive(7, 1000, false, ev(1, 320)),
      r.receive(7, 1000, false, ev(1, 800, true)), r.receive(7, 1000, false, ev(1, 800, true)), r.receive(7, 1000, false, ev(1, 800, true)),
    ];
    expect(got.filter(Boolean)).toEqual(['1']);
    expect(r.repeats).toBe(4);
  });

  it('reports a key whose start packets were lost (only end packets seen)', () => {
    const r = new DtmfReceiver();
    expect(r.receive(7, 5000, false, ev(9, 800, true))).toBe('9');
    expect(r.receive(7, 5000, false, ev(9, 800, true))).toBeUndefined();
  });

  it('the same key pressed twice is two events (new timestamp); duration 0 is ignored', () => {
    const r = new DtmfReceiver();
    expect(r.receive(7, 1000, true, ev(0, 0))).toBeUndefined();
    expect(r.receive(7, 1000, true, ev(0, 160))).toBe('0');
    expect(r.receive(7, 3000, true, ev(0, 160))).toBe('0');
    expect(r.receive(8, 3000, true, ev(0, 160))).toBe('0'); // another SSRC, same timestamp
  });

  it('a late end-packet retransmission of an older key is not re-reported', () => {
    const r = new DtmfReceiver();
    r.receive(7, 1000, true, ev(1, 160));
    r.receive(7, 2000, true, ev(2, 160));
    expect(r.receive(7, 1000, false, ev(1, 800, true))).toBeUndefined();
  });

  it('a long event continued in a new segment (§2.5.1.3) is not a new key', () => {
    const r = new DtmfReceiver();
    expect(r.receive(7, 1000, true, ev(3, 65535))).toBe('3');
    expect(r.receive(7, 1000 + 65535, false, ev(3, 800, true))).toBeUndefined();
  });
});
