import { describe, expect, it } from 'vitest';
import {
  CLOSE_MESSAGE, closeError, httpStreamUrl, initializeMessage, parseServerMessage, streamInputUrl, textMessage,
} from '../../src/tts/elevenlabs-tts-wire.js';

describe('stream-input wire format', () => {
  it('builds the socket URL from the REST base', () => {
    const url = streamInputUrl({ apiUrl: 'https://api.elevenlabs.io', voiceId: 'Xb7 h', modelId: 'eleven_flash_v2_5', encoding: 'alaw', inactivityTimeoutSeconds: 30 });
    expect(url).toBe('wss://api.elevenlabs.io/v1/text-to-speech/Xb7%20h/stream-input?model_id=eleven_flash_v2_5&output_format=alaw_8000&inactivity_timeout=30');
    expect(httpStreamUrl('http://127.0.0.1:9', 'v', 'ulaw')).toBe('http://127.0.0.1:9/v1/text-to-speech/v/stream?output_format=ulaw_8000');
  });

  it('client messages: single-space initialize, text with one trailing space and flush, empty text to close', () => {
    expect(JSON.parse(initializeMessage({ stability: 0.5 }, [120, 160, 250, 290]))).toEqual({
      text: ' ', voice_settings: { stability: 0.5 }, generation_config: { chunk_length_schedule: [120, 160, 250, 290] },
    });
    expect(JSON.parse(initializeMessage(undefined, [50]))).not.toHaveProperty('voice_settings');
    expect(JSON.parse(textMessage('Hello there.  \n'))).toEqual({ text: 'Hello there. ', flush: true });
    expect(JSON.parse(CLOSE_MESSAGE)).toEqual({ text: '' });
  });

  it('server messages: audio (alignment ignored), isFinal or is_final, errors with API codes', () => {
    const audio = parseServerMessage(JSON.stringify({ audio: Buffer.from([1, 2, 3]).toString('base64'), alignment: { chars: ['a'] } }));
    expect(audio.type === 'audio' && [...audio.audio]).toEqual([1, 2, 3]);
    expect(parseServerMessage('{"isFinal":true,"audio":null}')).toEqual({ type: 'final' });
    expect(parseServerMessage('{"is_final":true}')).toEqual({ type: 'final' });
    expect(parseServerMessage('{"audio":"","normalizedAlignment":null}')).toEqual({ type: 'ignored' });
    const err = parseServerMessage('{"message":"You have exceeded your quota","error":"quota_exceeded","code":1008}');
    expect(err.type === 'error' && err.error.code).toBe('quota_exceeded');
    expect(parseServerMessage('not json')).toMatchObject({ type: 'error', error: { code: 'protocol_error' } });
  });

  it('close codes: 1008 policy (auth from the reason), 1011 internal, others lost', () => {
    expect(closeError(1008, 'invalid_api_key')).toMatchObject({ code: 'invalid_api_key', closeCode: 1008 });
    expect(closeError(1008, 'Have not received a new text input within the timeout')).toMatchObject({ code: 'policy_violation' });
    expect(closeError(1011, '')).toMatchObject({ code: 'server_error', closeCode: 1011, retryable: true });
    expect(closeError(1006, '')).toMatchObject({ code: 'connection_lost', closeCode: 1006 });
  });
});
