import { describe, expect, it } from 'vitest';
import { encodeAgent, parseAgentMessage } from '../../src/agent/elevenlabs-protocol.js';

describe('ElevenLabs agent protocol', () => {
  it('parses the documented server events', () => {
    const cases: [unknown, unknown][] = [
      [{ type: 'conversation_initiation_metadata', conversation_initiation_metadata_event: { conversation_id: 'c1', agent_output_audio_format: 'ulaw_8000', user_input_audio_format: 'pcm_16000' } },
        { type: 'metadata', conversationId: 'c1', outputFormat: 'ulaw_8000', inputFormat: 'pcm_16000' }],
      [{ type: 'audio', audio_event: { audio_base_64: 'AAAA', event_id: 7 } }, { type: 'audio', eventId: 7, base64: 'AAAA' }],
      [{ type: 'audio', audio: { chunk: 'BBBB' } }, { type: 'audio', eventId: 0, base64: 'BBBB' }],
      [{ type: 'interruption', interruption_event: { event_id: 9 } }, { type: 'interruption', eventId: 9 }],
      [{ type: 'ping', ping_event: { event_id: 3, ping_ms: null } }, { type: 'ping', eventId: 3 }],
      [{ type: 'user_transcript', user_transcription_event: { user_transcript: 'hi' } }, { type: 'user-transcript', text: 'hi' }],
      [{ type: 'agent_response', agent_response_event: { agent_response: 'hello' } }, { type: 'agent-response', text: 'hello' }],
      [{ type: 'agent_response_correction', agent_response_correction_event: { original_agent_response: 'a b c', corrected_agent_response: 'a b' } },
        { type: 'agent-response-correction', original: 'a b c', corrected: 'a b' }],
      [{ type: 'client_tool_call', client_tool_call: { tool_name: 't', tool_call_id: 'id1', parameters: { x: 1 } } },
        { type: 'client-tool-call', toolName: 't', toolCallId: 'id1', parameters: { x: 1 } }],
      [{ type: 'agent_tool_response', agent_tool_response: { tool_name: 'end_call', tool_call_id: 'x', tool_type: 'system', is_error: false } },
        { type: 'agent-tool-response', toolName: 'end_call', toolCallId: 'x', isError: false }],
      [{ type: 'vad_score', vad_score_event: { vad_score: 0.5 } }, { type: 'unknown', name: 'vad_score' }],
    ];
    for (const [msg, event] of cases) expect(parseAgentMessage(JSON.stringify(msg))).toEqual({ ok: true, event });
  });

  it('audio in the documented shape (fast path) parses like any other spelling of it (JSON.parse path)', () => {
    const b64 = Buffer.alloc(160, 0x7f).toString('base64');
    const compact = `{"type":"audio","audio_event":{"audio_base_64":"${b64}","event_id":42}}`;
    const spaced = `{ "type": "audio", "audio_event": { "audio_base_64": "${b64}", "event_id": 42 } }\n`;
    const reordered = JSON.stringify({ audio_event: { event_id: 42, audio_base_64: b64 }, type: 'audio' });
    const withAlignment = JSON.stringify({ type: 'audio', audio_event: { audio_base_64: b64, event_id: 42, alignment: { chars: ['a'] } } });
    const expected = { ok: true, event: { type: 'audio', eventId: 42, base64: b64 } };
    for (const raw of [compact, spaced, reordered, withAlignment]) expect(parseAgentMessage(raw), raw).toEqual(expected);
    // Cut short or followed by junk: never taken as audio.
    expect(parseAgentMessage(compact.slice(0, -1)).ok).toBe(false);
    expect(parseAgentMessage(compact + '}').ok).toBe(false);
    expect(parseAgentMessage(`{"type":"audio","audio_event":{"audio_base_64":"${b64}","event_id":-1}}`)).toEqual({ ok: true, event: { type: 'audio', eventId: -1, base64: b64 } });
  });

  it('any audio text, escaped or not, reads as JSON.parse reads it, whichever path takes it', () => {
    const texts = ['AQID', 'AQI=', 'AQ==', '', 'AQ=D', 'AQ===', 'AQ-_', 'AQ ID', 'AQ\nID', 'A/B+', 'A"B', 'A\\B', 'Ab\u00e9'];
    const spellings = (t: string): string[] => {
      const text = JSON.stringify(t);
      return [
        `{"type":"audio","audio_event":{"audio_base_64":${text},"event_id":1}}`,
        `{ "type" : "audio", "audio_event" : { "audio_base_64" : ${text}, "event_id" : 1 } }`,
        `{"type":"audio","audio_event":{"audio_base_64":${text.replace(/\//g, '\\/')},"event_id":1}}`, // '/' escaped, as some encoders do
        `{"type":"audio","audio_event":{"audio_base_64":${text.replace(/A/g, '\\u0041')},"event_id":1}}`,
      ];
    };
    for (const t of texts) {
      for (const raw of spellings(t)) {
        expect(JSON.parse(raw).audio_event.audio_base_64, raw).toBe(t);
        expect(parseAgentMessage(raw), raw).toEqual({ ok: true, event: { type: 'audio', eventId: 1, base64: t } });
      }
    }
    expect(parseAgentMessage(JSON.stringify({ type: 'audio', audio: { chunk: 'A_B-' } }))).toEqual({ ok: true, event: { type: 'audio', eventId: 0, base64: 'A_B-' } });
  });

  it('rejects malformed messages with a reason', () => {
    expect(parseAgentMessage('nope').ok).toBe(false);
    expect(parseAgentMessage('{"x":1}').ok).toBe(false);
    expect(parseAgentMessage('{"type":"ping","ping_event":{}}').ok).toBe(false);
    expect(parseAgentMessage('{"type":"audio","audio_event":{"event_id":1}}').ok).toBe(false);
  });

  it('encodes client messages in the documented shapes', () => {
    expect(JSON.parse(encodeAgent.init({ dynamicVariables: { caller_id: '+1' } })))
      .toEqual({ type: 'conversation_initiation_client_data', dynamic_variables: { caller_id: '+1' } });
    expect(JSON.parse(encodeAgent.init({}))).toEqual({ type: 'conversation_initiation_client_data' });
    expect(JSON.parse(encodeAgent.userAudio('QUJD'))).toEqual({ user_audio_chunk: 'QUJD' });
    expect(JSON.parse(encodeAgent.pong(5))).toEqual({ type: 'pong', event_id: 5 });
    expect(JSON.parse(encodeAgent.toolResult('t1', 'nope', true))).toEqual({ type: 'client_tool_result', tool_call_id: 't1', result: 'nope', is_error: true });
    expect(JSON.parse(encodeAgent.contextualUpdate('k'))).toEqual({ type: 'contextual_update', text: 'k' });
    expect(JSON.parse(encodeAgent.userMessage('m'))).toEqual({ type: 'user_message', text: 'm' });
  });
});
