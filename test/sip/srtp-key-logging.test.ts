import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { answerOffer } from '../../sip/media/sdp-negotiation.js';
import { createLogger } from '../../src/logger.js';

/**
 * Keys never reach logs: a careless log line with a negotiated SRTP stream
 * (key objects), an SDP answer, or a registration config prints none of the
 * key material or the password.
 */
describe('SRTP keys and SIP passwords stay out of logs', () => {
  it('negotiated media, SDP fields and nested passwords are redacted', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    const theirKey = randomBytes(30).toString('base64');
    const offer = ['v=0', 'o=- 1 1 IN IP4 198.51.100.1', 's=-', 'c=IN IP4 198.51.100.1', 't=0 0', 'm=audio 4000 RTP/SAVP 0',
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${theirKey}`, ''].join('\r\n');
    const answer = answerOffer(offer, { address: '192.0.2.1', port: 40000, codecs: ['PCMU'] });
    if (!answer.ok) throw new Error(answer.reason);
    const ourKey = answer.srtp!.localKey.inlineBase64();
    log.info({ media: { srtp: answer.srtp }, answerSdp: answer.answerSdp, req: { sdp: offer } }, 'negotiated');
    log.info({ trunk: { register: { username: 'ext100', password: 'pbx-secret' } } }, 'trunk');
    const out = lines.join('');
    expect(out).toContain('negotiated');
    expect(out).toContain('AES_CM_128_HMAC_SHA1_80'); // the suite is a fact worth logging; the key is not
    for (const secret of [theirKey, ourKey, 'pbx-secret']) expect(out).not.toContain(secret);
  });
});
