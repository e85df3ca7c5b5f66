import { describe, expect, it } from 'vitest';
import { parseTwilioMessage, TwilioEncoder } from '../../src/twilio/media-stream-protocol.js';

const SID = 'MZ' + 'a'.repeat(32);
const CALL = 'CA' + 'b'.repeat(32);
const ACCOUNT = 'AC' + 'c'.repeat(32);

describe('Twilio media stream protocol', () => {
  it('parses start with custom parameters and media format', () => {
    const raw = JSON.stringify({
      event: 'start', sequenceNumber: '1', streamSid: SID,
      start: { streamSid: SID, callSid: CALL, accountSid: ACCOUNT, tracks: ['inbound'],
        customParameters: { agentId: 'a1', from: '+15550001111' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    });
    const r = parseTwilioMessage(raw);
    expect(r).toEqual({ ok: true, message: { event: 'start', streamSid: SID, start: expect.objectContaining({
      callSid: CALL, accountSid: ACCOUNT, customParameters: { agentId: 'a1', from: '+15550001111' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } }) } });
  });

  it('parses media with numbers sent as strings', () => {
    const payload = Buffer.alloc(160, 0xff).toString('base64');
    const r = parseTwilioMessage(JSON.stringify({ event: 'media', sequenceNumber: '4', streamSid: SID,
      media: { track: 'inbound', chunk: '2', timestamp: '40', payload } }));
    expect(r).toEqual({ ok: true, message: { event: 'media', streamSid: SID, track: 'inbound', chunk: 2, timestamp: 40, payload } });
  });

  it('gives the same result for Twilio\'s own serialisation (fast path) and any other spelling (JSON.parse path)', () => {
    const samples: Array<{ track: string; chunk: string; timestamp: string; payload: string }> = [
      { track: 'inbound', chunk: '1', timestamp: '0', payload: Buffer.alloc(160, 0x7f).toString('base64') },
      { track: 'inbound', chunk: '99', timestamp: '1980', payload: Buffer.from([1, 2]).toString('base64') }, // "AQI="
      { track: 'inbound', chunk: '3', timestamp: '40', payload: Buffer.from([1]).toString('base64') }, // "AQ=="
      { track: 'outbound', chunk: '5', timestamp: '80', payload: '' },
      { track: 'inbound', chunk: '6', timestamp: '100', payload: 'not base64!' },
      { track: 'inbound', chunk: '7', timestamp: '120', payload: 'AQ=' },
      // Alphabet and padding right, length not a multiple of 4: the fast path must hand these over too.
      { track: 'inbound', chunk: '8', timestamp: '140', payload: 'AAA' },
      { track: 'inbound', chunk: '9', timestamp: '160', payload: 'AAAAA==' },
      { track: 'inbound', chunk: '10', timestamp: '180', payload: 'AAAAAA==' },
      { track: 'inbound', chunk: '11', timestamp: '200', payload: 'AAAA===' },
    ];
    for (const media of samples) {
      const asSent = `{"event":"media","sequenceNumber":"9","media":${JSON.stringify(media)},"streamSid":"${SID}"}`;
      const reordered = JSON.stringify({ streamSid: SID, media: { payload: media.payload, timestamp: media.timestamp, chunk: media.chunk, track: media.track }, event: 'media' });
      expect(parseTwilioMessage(asSent), asSent).toEqual(parseTwilioMessage(reordered));
    }
    expect(parseTwilioMessage(`{"event":"media","sequenceNumber":"9","media":${JSON.stringify(samples[0])},"streamSid":"${SID}"}`).ok).toBe(true);
    expect(parseTwilioMessage(`{"event":"media","sequenceNumber":"9","media":${JSON.stringify(samples[4])},"streamSid":"${SID}"}`))
      .toEqual({ ok: false, code: 'invalid-payload', detail: 'payload is not base64' });
    // Truncated or trailing bytes never slip through as media.
    const whole = `{"event":"media","sequenceNumber":"9","media":${JSON.stringify(samples[0])},"streamSid":"${SID}"}`;
    expect(parseTwilioMessage(whole.slice(0, -1)).ok).toBe(false);
    expect(parseTwilioMessage(whole + '}').ok).toBe(false);
  });

  it('parses dtmf, mark and stop', () => {
    expect(parseTwilioMessage(JSON.stringify({ event: 'dtmf', streamSid: SID, dtmf: { track: 'inbound_track', digit: '#' } })))
      .toEqual({ ok: true, message: { event: 'dtmf', streamSid: SID, digit: '#' } });
    expect(parseTwilioMessage(JSON.stringify({ event: 'mark', streamSid: SID, mark: { name: '3:final' } })))
      .toEqual({ ok: true, message: { event: 'mark', streamSid: SID, name: '3:final' } });
    expect(parseTwilioMessage(JSON.stringify({ event: 'stop', streamSid: SID, stop: { accountSid: ACCOUNT, callSid: CALL } })))
      .toEqual({ ok: true, message: { event: 'stop', streamSid: SID, callSid: CALL } });
  });

  it('reports unknown events without failing', () => {
    expect(parseTwilioMessage('{"event":"brand-new","x":1}')).toEqual({ ok: true, message: { event: 'unknown', name: 'brand-new' } });
  });

  it.each([
    ['not json', '{"event":', 'malformed-json'],
    ['no event', '{"foo":1}', 'invalid-message'],
    ['array', '[1,2]', 'invalid-message'],
    ['media without payload', '{"event":"media","media":{}}', 'invalid-message'],
    ['invalid base64', '{"event":"media","media":{"payload":"!!!!"}}', 'invalid-payload'],
    ['base64 with bad length', '{"event":"media","media":{"payload":"abc"}}', 'invalid-payload'],
    ['start without callSid', `{"event":"start","streamSid":"${SID}","start":{"accountSid":"${ACCOUNT}"}}`, 'invalid-message'],
    ['bad dtmf digit', '{"event":"dtmf","dtmf":{"digit":"12"}}', 'invalid-message'],
  ])('rejects %s with a code', (_name, raw, code) => {
    const r = parseTwilioMessage(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('encodes outbound media, mark and clear in the wire shape Twilio expects', () => {
    const enc = new TwilioEncoder(SID);
    expect(JSON.parse(enc.media('AAEC'))).toEqual({ event: 'media', streamSid: SID, media: { payload: 'AAEC' } });
    expect(JSON.parse(enc.mark('0:"quoted"'))).toEqual({ event: 'mark', streamSid: SID, mark: { name: '0:"quoted"' } });
    expect(JSON.parse(enc.clear())).toEqual({ event: 'clear', streamSid: SID });
  });
});
