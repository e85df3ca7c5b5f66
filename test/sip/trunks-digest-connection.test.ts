import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestVerifier, digestResponse, parseDigestHeader } from '../../sip/signaling/digest.js';
import { DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';
import { parseDtmfRelay, parseNameAddr, parseSipfragStatus } from '../../sip/signaling/sip-headers.js';
import { cidrContains, formatNumber, trunkFromHeader, trunkRequestUri, trunksForSource, validateCidrs } from '../../sip/signaling/trunks.js';
import { FakeSrf } from './fake-srf.js';

describe('trunks', () => {
  it('matches IPv4, IPv4-mapped and IPv6 CIDRs', () => {
    expect(cidrContains('203.0.113.0/24', '203.0.113.77')).toBe(true);
    expect(cidrContains('203.0.113.0/24', '203.0.114.1')).toBe(false);
    expect(cidrContains('203.0.113.5', '::ffff:203.0.113.5')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::5')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(validateCidrs(['10.0.0.0/8', '10.0.0.0/33', 'not-an-ip', '2001:db8::/129', '203.0.113.5'])).toEqual(['10.0.0.0/33', 'not-an-ip', '2001:db8::/129']);
  });

  it('orders candidate trunks: allowlisted first, then credential-only', () => {
    const trunks = [{ id: 'open', inbound: { allowedCidrs: [] } }, { id: 'listed', inbound: { allowedCidrs: ['10.0.0.0/8'] } }, { id: 'out' }];
    expect(trunksForSource(trunks, '10.1.2.3').map((t) => t.id)).toEqual(['listed', 'open']);
    expect(trunksForSource(trunks, '192.0.2.1').map((t) => t.id)).toEqual(['open']);
  });

  it('formats numbers and builds Request-URI and From', () => {
    expect(formatNumber('+44 20 7946 0000', 'national', '44')).toBe('02079460000');
    expect(formatNumber('15551234567', 'e164')).toBe('+15551234567');
    expect(formatNumber('+1-555-123-4567', 'e164-no-plus')).toBe('15551234567');
    expect(trunkRequestUri({ host: 'sbc.example', transport: 'tls', numberFormat: 'e164' }, '15551234567')).toBe('sips:+15551234567@sbc.example;transport=tls');
    expect(trunkRequestUri({ host: 'sbc.example' }, '+1555')).toBe('sip:+1555@sbc.example');
    expect(trunkFromHeader({ host: 'sbc.example', callerId: '+1555' }, undefined)).toBe('<sip:+1555@sbc.example>');
  });
});

describe('digest (RFC 2617)', () => {
  it('computes the RFC 2617 §3.5 example response', () => {
    // The RFC's example is HTTP: method GET, uri /dir/index.html, qop=auth.
    expect(digestResponse({ username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET',
      uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }))
      .toBe('6629fae49393a05397450978507c4ef1');
  });

  it('accepts a right answer, refuses a wrong one, reports a stale nonce, rejects a forged nonce', () => {
    let now = 1_000_000;
    const v = new DigestVerifier({ realm: 'r', nonceTtlMs: 1000, now: () => now });
    const chal = parseDigestHeader(v.challenge())!;
    const auth = (pw: string, nonce = chal.nonce!): string => {
      const response = digestResponse({ username: 'u', realm: 'r', password: pw, method: 'INVITE', uri: 'sip:a@b', nonce });
      return `Digest username="u", realm="r", nonce="${nonce}", uri="sip:a@b", response="${response}"`;
    };
    const pw = (u: string): string | undefined => (u === 'u' ? 'secret' : undefined);
    expect(v.verify(auth('secret'), 'INVITE', pw)).toEqual({ ok: true, username: 'u' });
    expect(v.verify(auth('wrong'), 'INVITE', pw)).toMatchObject({ ok: false, why: 'bad response' });
    expect(v.verify(auth('secret', '123.' + createHash('md5').update('x').digest('hex')), 'INVITE', pw)).toMatchObject({ why: 'invalid nonce' });
    now += 5000;
    expect(v.verify(auth('secret'), 'INVITE', pw)).toMatchObject({ ok: false, stale: true });
  });
});

describe('header parsers', () => {
  it('name-addr, sipfrag and dtmf-relay', () => {
    expect(parseNameAddr('"Alice Smith" <sip:+1555@example.com;user=phone>;tag=9fx')).toMatchObject({
      display: 'Alice Smith', uri: 'sip:+1555@example.com;user=phone', user: '+1555', host: 'example.com', params: { tag: '9fx' } });
    expect(parseNameAddr('sip:bob@example.com;tag=1')).toMatchObject({ uri: 'sip:bob@example.com', user: 'bob', params: { tag: '1' } });
    expect(parseNameAddr('<tel:+15551234567>')).toMatchObject({ user: '+15551234567' });
    expect(parseSipfragStatus('SIP/2.0 486 Busy Here\r\n')).toEqual({ status: 486, reason: 'Busy Here' });
    expect(parseDtmfRelay('Signal=*\r\nDuration=250')).toEqual({ digit: '*', durationMs: 250 });
    expect(parseDtmfRelay('Signal=10')).toMatchObject({ digit: '*' });
    expect(parseDtmfRelay('nothing')).toBeUndefined();
  });
});

describe('DrachtioConnection', () => {
  it('connects with back-off options, is ready on connect, not ready on close, survives errors', async () => {
    const srf = new FakeSrf();
    const conn = new DrachtioConnection({ host: '127.0.0.1', port: 9022, secret: 's', retryMaxDelayMs: 2000, srf });
    conn.start();
    expect(srf.connectedWith).toMatchObject({ host: '127.0.0.1', port: 9022, secret: 's', reconnect: { retryMaxDelay: 2000 } });
    expect(conn.ready).toBe(false);
    const ready = conn.whenReady(1000);
    srf.emit('connect', null, '127.0.0.1:5060');
    await ready;
    expect(conn.ready).toBe(true);
    expect(conn.sipAddress).toBe('127.0.0.1:5060');
    const lost: number[] = [];
    conn.on('lost', () => lost.push(1));
    srf.emit('error', new Error('ECONNRESET'));   // no 'error' listener on conn: must not throw
    srf.emit('close');
    expect(conn.ready).toBe(false);
    expect(lost).toEqual([1]);
    srf.emit('connect', new Error('failed to authenticate to server'));
    expect(conn.ready).toBe(false);
    await expect(conn.whenReady(20)).rejects.toThrow(/not reachable/);
    conn.stop();
    expect(srf.disconnected).toBe(true);
  });
});
