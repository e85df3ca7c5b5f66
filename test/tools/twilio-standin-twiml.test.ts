import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { parseTwiml, TwimlError } from '../../tools/twilio-standin/twiml-reader.js';
import { signForm, signUpgrade } from '../../tools/twilio-standin/webhook-signer.js';
import { TwilioMessageWriter, readBridgeMessage } from '../../tools/twilio-standin/stream-wire.js';

describe('twiml-reader', () => {
  it('reads the verbs a bridge emits, in order, with attributes and nouns', () => {
    const r = new twilio.twiml.VoiceResponse();
    r.say({ voice: 'Polly.Joanna', loop: 2 }, 'Hello <caller> & "friends"');
    const s = r.connect({ action: '/twilio/after', method: 'GET' }).stream({ url: 'wss://b.example/twilio/media', track: 'inbound_track' });
    s.parameter({ name: 'sessionId', value: 'a&b<c>' });
    s.parameter({ name: 'phone', value: '+0015551234' });
    r.pause({ length: 3 });
    r.play({ loop: 0 }, 'https://cdn.example/beep.wav');
    const d = r.dial({ answerOnBridge: true, callerId: '+15550001111', action: '/dial-result', timeout: 20 });
    d.number({ url: 'https://b.example/whisper?s=1' }, '+15551234567');
    d.number('+15557654321');
    r.redirect({ method: 'GET' }, '/next');
    r.hangup();

    const doc = parseTwiml(r.toString());
    expect(doc.unknown).toEqual([]);
    expect(doc.verbs.map((v) => v.verb)).toEqual(['Say', 'Connect', 'Pause', 'Play', 'Dial', 'Redirect', 'Hangup']);
    expect(doc.verbs[0]).toMatchObject({ text: 'Hello <caller> & "friends"', voice: 'Polly.Joanna', loop: 2 });
    expect(doc.verbs[1]).toMatchObject({
      verb: 'Connect',
      action: '/twilio/after',
      method: 'GET',
      stream: { url: 'wss://b.example/twilio/media', track: 'inbound_track', parameters: { sessionId: 'a&b<c>', phone: '+0015551234' } },
    });
    expect(doc.verbs[2]).toMatchObject({ verb: 'Pause', lengthSec: 3 });
    expect(doc.verbs[3]).toMatchObject({ verb: 'Play', url: 'https://cdn.example/beep.wav', loop: 0 });
    expect(doc.verbs[4]).toMatchObject({
      verb: 'Dial',
      action: '/dial-result',
      attributes: { answerOnBridge: 'true', callerId: '+15550001111', timeout: '20' },
      numbers: [
        { number: '+15551234567', url: 'https://b.example/whisper?s=1' },
        { number: '+15557654321', url: undefined },
      ],
    });
    expect(doc.verbs[5]).toMatchObject({ verb: 'Redirect', url: '/next', method: 'GET' });
  });

  it('applies TwiML defaults and reads a bare <Dial> number', () => {
    const doc = parseTwiml('<?xml version="1.0"?><Response><Pause/><Dial>+15551112222</Dial></Response>');
    expect(doc.verbs[0]).toMatchObject({ verb: 'Pause', lengthSec: 1 });
    expect(doc.verbs[1]).toMatchObject({ verb: 'Dial', text: '+15551112222', numbers: [] });
  });

  it('reports unknown verbs and nouns instead of failing', () => {
    const doc = parseTwiml('<Response><Enqueue>support</Enqueue><Connect><Room>r</Room></Connect></Response>');
    expect(doc.verbs.map((v) => v.verb)).toEqual(['Unknown', 'Connect']);
    expect(doc.unknown).toEqual(['verb <Enqueue>', 'noun <Room> in <Connect>']);
  });

  it('rejects malformed XML and a root other than <Response>', () => {
    expect(() => parseTwiml('<Response><Say>x</Response>')).toThrow(TwimlError);
    expect(() => parseTwiml('<Response><Say>x</Response>')).toThrow(/not well-formed/);
    expect(() => parseTwiml('<Html><Say/></Html>')).toThrow(/root must be <Response>, got <Html>/);
    expect(() => parseTwiml('')).toThrow(TwimlError);
  });
});

describe('webhook-signer', () => {
  it('produces signatures twilio.validateRequest accepts, and only for the same URL and params', () => {
    const params = { CallSid: 'CA1', From: '+1555', To: '+1666', Zed: 'last', Amp: 'a&b' };
    const sig = signForm('tok', 'https://bridge.example/twilio/voice', params);
    expect(twilio.validateRequest('tok', sig, 'https://bridge.example/twilio/voice', params)).toBe(true);
    expect(twilio.validateRequest('tok', sig, 'https://bridge.example/twilio/voice', { ...params, To: '+1777' })).toBe(false);
    expect(twilio.validateRequest('other', sig, 'https://bridge.example/twilio/voice', params)).toBe(false);
  });

  it('signs the upgrade over the ws URL with no params, which https:// does not validate', () => {
    const sig = signUpgrade('tok', 'wss://bridge.example/twilio/media');
    expect(twilio.validateRequest('tok', sig, 'wss://bridge.example/twilio/media', {})).toBe(true);
    expect(twilio.validateRequest('tok', sig, 'https://bridge.example/twilio/media', {})).toBe(false);
  });
});

describe('stream-wire', () => {
  it('numbers messages like Twilio: connected has none, start is 1, chunks count media only', () => {
    const w = new TwilioMessageWriter({ streamSid: 'MZ1', callSid: 'CA1', accountSid: 'AC1' });
    expect(w.connected()).not.toHaveProperty('sequenceNumber');
    expect(w.start({})).toMatchObject({ sequenceNumber: '1' });
    expect(w.media(new Uint8Array([1, 2]), 0)).toMatchObject({ sequenceNumber: '2', media: { chunk: '1', timestamp: '0', payload: 'AQI=' } });
    expect(w.dtmf('#')).toMatchObject({ sequenceNumber: '3' });
    expect(w.media(new Uint8Array(1), 20)).toMatchObject({ sequenceNumber: '4', media: { chunk: '2', timestamp: '20' } });
    expect(w.stop()).toEqual({ event: 'stop', sequenceNumber: '5', streamSid: 'MZ1', stop: { accountSid: 'AC1', callSid: 'CA1' } });
  });

  it('accepts the three bridge messages of §2.2', () => {
    const payload = Buffer.alloc(320, 0xff).toString('base64');
    expect(readBridgeMessage(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload } }), false, 'MZ1')).toMatchObject({
      message: { event: 'media' },
      problems: [],
    });
    expect(readBridgeMessage('{"event":"clear","streamSid":"MZ1"}', false, 'MZ1')).toEqual({ message: { event: 'clear' }, problems: [] });
    expect(readBridgeMessage('{"event":"mark","streamSid":"MZ1","mark":{"name":"x"}}', false, 'MZ1').message).toEqual({ event: 'mark', name: 'x' });
  });
});
