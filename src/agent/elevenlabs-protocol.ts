/**
 * ElevenLabs Conversational AI WebSocket protocol, pure parse/encode.
 * Reference: elevenlabs.io/docs/conversational-ai/customization/events/client-events and
 * client-to-server-events; agent asyncapi (shared/reference/protocols.md §4).
 * Unknown event types are reported as `unknown`, never as errors: the service adds events over time.
 */

export type AgentEvent =
  | { type: 'metadata'; conversationId: string; outputFormat: string; inputFormat: string }
  | { type: 'audio'; eventId: number; base64: string }
  | { type: 'interruption'; eventId: number }
  | { type: 'ping'; eventId: number }
  | { type: 'user-transcript'; text: string }
  | { type: 'agent-response'; text: string }
  | { type: 'agent-response-correction'; original: string; corrected: string }
  | { type: 'client-tool-call'; toolName: string; toolCallId: string; parameters: Record<string, unknown> }
  | { type: 'agent-tool-response'; toolName: string; toolCallId: string; isError: boolean }
  | { type: 'error'; code: string; message: string }
  | { type: 'unknown'; name: string };

export type AgentParse = { ok: true; event: AgentEvent } | { ok: false; detail: string };

type Json = Record<string, unknown>;

const HANDLERS: Record<string, (m: Json) => AgentEvent | undefined> = {
  conversation_initiation_metadata: (m) => {
    const e = obj(m.conversation_initiation_metadata_event);
    const id = str(e?.conversation_id);
    if (id === undefined) return undefined;
    return {
      type: 'metadata',
      conversationId: id,
      // The service defaults both formats to pcm_16000 when the agent does not say.
      outputFormat: str(e?.agent_output_audio_format) ?? 'pcm_16000',
      inputFormat: str(e?.user_input_audio_format) ?? 'pcm_16000',
    };
  },
  audio: (m) => {
    const e = obj(m.audio_event) ?? obj(m.audio); // older guides show `audio: { chunk }`
    const base64 = str(e?.audio_base_64) ?? str(e?.chunk);
    if (base64 === undefined) return undefined;
    return { type: 'audio', eventId: num(e?.event_id) ?? 0, base64 };
  },
  interruption: (m) => {
    const id = num(obj(m.interruption_event)?.event_id);
    return id === undefined ? undefined : { type: 'interruption', eventId: id };
  },
  ping: (m) => {
    const id = num(obj(m.ping_event)?.event_id);
    return id === undefined ? undefined : { type: 'ping', eventId: id };
  },
  user_transcript: (m) => {
    const text = str(obj(m.user_transcription_event)?.user_transcript);
    return text === undefined ? undefined : { type: 'user-transcript', text };
  },
  agent_response: (m) => {
    const text = str(obj(m.agent_response_event)?.agent_response);
    return text === undefined ? undefined : { type: 'agent-response', text };
  },
  agent_response_correction: (m) => {
    const e = obj(m.agent_response_correction_event);
    const original = str(e?.original_agent_response);
    const corrected = str(e?.corrected_agent_response);
    if (original === undefined || corrected === undefined) return undefined;
    return { type: 'agent-response-correction', original, corrected };
  },
  client_tool_call: (m) => {
    const e = obj(m.client_tool_call);
    const toolName = str(e?.tool_name);
    const toolCallId = str(e?.tool_call_id);
    if (toolName === undefined || toolCallId === undefined) return undefined;
    return { type: 'client-tool-call', toolName, toolCallId, parameters: obj(e?.parameters) ?? {} };
  },
  agent_tool_response: (m) => {
    const e = obj(m.agent_tool_response);
    const toolName = str(e?.tool_name);
    if (toolName === undefined) return undefined;
    return { type: 'agent-tool-response', toolName, toolCallId: str(e?.tool_call_id) ?? '', isError: e?.is_error === true };
  },
  error: (m) => {
    const e = obj(m.error_event) ?? {};
    return { type: 'error', code: String(e.code ?? e.error_type ?? 'unknown'), message: String(e.message ?? e.reason ?? '') };
  },
};

/**
 * An `audio` event in the documented shape (§4.3: type, then audio_event with
 * audio_base_64 and event_id; any JSON whitespace) is read without JSON.parse,
 * which would copy the text: the head and the tail are matched, and the
 * audio text between them is a slice of the message up to the next quote.
 * A backslash inside it (an escape) or anything else (other order, extra
 * fields such as alignment) takes the general path, with the same result.
 * The text is not checked against the base64 alphabet here: a regular
 * expression doing that costs more than JSON.parse on 16 kHz chunks, and the
 * consumer checks what it needs (see Downlink). Nor for raw control
 * characters (which JSON.parse would refuse): they cannot end the text or
 * start an escape, and the base64 decoder skips them as it skips whitespace.
 */
const AUDIO_HEAD = /^\{\s*"type"\s*:\s*"audio"\s*,\s*"audio_event"\s*:\s*\{\s*"audio_base_64"\s*:\s*"/;
const AUDIO_TAIL = /"\s*,\s*"event_id"\s*:\s*(\d{1,15})\s*\}\s*\}\s*$/y;

function documentedAudio(raw: string): AgentEvent | undefined {
  const head = AUDIO_HEAD.exec(raw);
  if (!head) return undefined;
  const start = head[0].length;
  const end = raw.indexOf('"', start);
  if (end < 0) return undefined;
  const escape = raw.indexOf('\\', start);
  if (escape >= 0 && escape < end) return undefined;
  AUDIO_TAIL.lastIndex = end;
  const tail = AUDIO_TAIL.exec(raw);
  if (!tail) return undefined;
  return { type: 'audio', eventId: Number(tail[1]), base64: raw.slice(start, end) };
}

export function parseAgentMessage(raw: string): AgentParse {
  const audio = documentedAudio(raw);
  if (audio) return { ok: true, event: audio };
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  const type = str(obj(m)?.type);
  if (type === undefined) return { ok: false, detail: 'missing type' };
  const handler = HANDLERS[type];
  if (!handler) return { ok: true, event: { type: 'unknown', name: type.slice(0, 64) } };
  const event = handler(m as Json);
  return event ? { ok: true, event } : { ok: false, detail: `malformed ${type}` };
}

export interface ConversationInit {
  dynamicVariables?: Record<string, string | number | boolean>;
  overrides?: Record<string, unknown>;
}

export const encodeAgent = {
  /** Sent first on every conversation (§4.2). Omit fields rather than send empty ones (§4.4). */
  init(init: ConversationInit): string {
    const msg: Json = { type: 'conversation_initiation_client_data' };
    if (init.dynamicVariables && Object.keys(init.dynamicVariables).length) msg.dynamic_variables = init.dynamicVariables;
    if (init.overrides && Object.keys(init.overrides).length) msg.conversation_config_override = init.overrides;
    return JSON.stringify(msg);
  },
  /** Audio has no `type` field; the server recognises it by its key. Base64 needs no JSON escaping. */
  userAudio(base64: string): string {
    return '{"user_audio_chunk":"' + base64 + '"}';
  },
  pong(eventId: number): string {
    return `{"type":"pong","event_id":${eventId}}`;
  },
  toolResult(toolCallId: string, result: string, isError: boolean): string {
    return JSON.stringify({ type: 'client_tool_result', tool_call_id: toolCallId, result, is_error: isError });
  },
  contextualUpdate(text: string): string {
    return JSON.stringify({ type: 'contextual_update', text });
  },
  userMessage(text: string): string {
    return JSON.stringify({ type: 'user_message', text });
  },
  userActivity(): string {
    return '{"type":"user_activity"}';
  },
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
