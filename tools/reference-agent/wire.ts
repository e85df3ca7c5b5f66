/**
 * Wire format of the agent WebSocket, written from protocols.md §4.3–4.4 and the
 * seed's client-events pages (seed L10486–10864), independently of src/.
 * Pure: parse client frames, build server frames. No I/O.
 */

export interface InitiationData {
  dynamic_variables?: Record<string, unknown>;
  conversation_config_override?: Record<string, unknown>;
  custom_llm_extra_body?: unknown;
  user_id?: unknown;
  /** The whole message as received. */
  raw: Record<string, unknown>;
}

export type ClientMessage =
  | { kind: 'audio'; base64: string }
  | { kind: 'initiation'; data: InitiationData }
  | { kind: 'pong'; eventId: number }
  | { kind: 'tool_result'; toolCallId: string; result: string; isError: boolean }
  | { kind: 'contextual_update'; text: string }
  | { kind: 'user_message'; text: string }
  | { kind: 'user_activity' }
  | { kind: 'feedback'; score: string; eventId: number }
  /** A `type` we do not know: recorded, never fatal (§4 "ignore unknown types"). */
  | { kind: 'unknown'; raw: unknown }
  /** Breaks the contract: the real service closes with 1008 (§4.8). */
  | { kind: 'invalid'; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (reason: string): ClientMessage => ({ kind: 'invalid', reason });

export function parseClientMessage(text: string): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return invalid('message is not valid JSON');
  }
  if (!isObj(msg)) return invalid('message is not a JSON object');
  // §4.4: the audio message has NO `type`; the server recognises it by its key.
  if ('user_audio_chunk' in msg) return parseAudio(msg.user_audio_chunk);
  return parseTyped(msg);
}

function parseAudio(chunk: unknown): ClientMessage {
  if (typeof chunk !== 'string') return invalid('user_audio_chunk must be a base64 string');
  if (chunk.length % 4 !== 0 || !BASE64.test(chunk)) return invalid('user_audio_chunk is not valid base64');
  return { kind: 'audio', base64: chunk };
}

function parseTyped(msg: Obj): ClientMessage {
  switch (msg.type) {
    case 'conversation_initiation_client_data':
      return parseInitiation(msg);
    case 'pong':
      // The seed's sample handler sends the bare string 'pong'; §4.3 says that is wrong.
      return typeof msg.event_id === 'number' ? { kind: 'pong', eventId: msg.event_id } : invalid('pong needs a numeric event_id');
    case 'client_tool_result':
      return parseToolResult(msg);
    case 'contextual_update':
    case 'user_message':
      return typeof msg.text === 'string' ? { kind: msg.type, text: msg.text } : invalid(`${msg.type} needs a string text`);
    case 'user_activity':
      return { kind: 'user_activity' };
    case 'feedback':
      return typeof msg.score === 'string' && typeof msg.event_id === 'number'
        ? { kind: 'feedback', score: msg.score, eventId: msg.event_id }
        : invalid('feedback needs score and event_id');
    default:
      return { kind: 'unknown', raw: msg };
  }
}

function parseInitiation(msg: Obj): ClientMessage {
  const { dynamic_variables: vars, conversation_config_override: override } = msg;
  if (vars !== undefined && !isObj(vars)) return invalid('dynamic_variables must be an object');
  if (override !== undefined && !isObj(override)) return invalid('conversation_config_override must be an object');
  // §4.7: dynamic variable values may be string, number or boolean only.
  for (const [name, value] of Object.entries(vars ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) return invalid(`dynamic variable ${name} has an invalid type`);
  }
  const data: InitiationData = { raw: msg, custom_llm_extra_body: msg.custom_llm_extra_body, user_id: msg.user_id };
  if (vars) data.dynamic_variables = vars;
  if (override) data.conversation_config_override = override;
  return { kind: 'initiation', data };
}

function parseToolResult(msg: Obj): ClientMessage {
  if (typeof msg.tool_call_id !== 'string') return invalid('client_tool_result needs tool_call_id');
  // §4.4: `result` must be a string (the SDK JSON.stringifies objects).
  if (typeof msg.result !== 'string') return invalid('client_tool_result.result must be a string');
  if (typeof msg.is_error !== 'boolean') return invalid('client_tool_result needs boolean is_error');
  return { kind: 'tool_result', toolCallId: msg.tool_call_id, result: msg.result, isError: msg.is_error };
}

// ---- server → client (§4.3). `event_id` on text events is the 2026 shape; older
// clients ignore it, and including it keeps ids visible to tests.

export const serverEvent = {
  metadata: (conversationId: string, output: string, input: string) =>
    JSON.stringify({
      type: 'conversation_initiation_metadata',
      conversation_initiation_metadata_event: {
        conversation_id: conversationId,
        agent_output_audio_format: output,
        user_input_audio_format: input,
      },
    }),
  audio: (base64: string, eventId: number) =>
    JSON.stringify({ type: 'audio', audio_event: { audio_base_64: base64, event_id: eventId } }),
  agentResponse: (text: string, eventId: number) =>
    JSON.stringify({ type: 'agent_response', agent_response_event: { agent_response: text, event_id: eventId } }),
  agentResponseCorrection: (original: string, corrected: string, eventId: number) =>
    JSON.stringify({
      type: 'agent_response_correction',
      agent_response_correction_event: {
        original_agent_response: original,
        corrected_agent_response: corrected,
        event_id: eventId,
      },
    }),
  userTranscript: (text: string, eventId: number) =>
    JSON.stringify({ type: 'user_transcript', user_transcription_event: { user_transcript: text, event_id: eventId } }),
  ping: (eventId: number, pingMs: number | null) =>
    JSON.stringify({ type: 'ping', ping_event: { event_id: eventId, ping_ms: pingMs } }),
  interruption: (eventId: number) => JSON.stringify({ type: 'interruption', interruption_event: { event_id: eventId } }),
  clientToolCall: (toolName: string, toolCallId: string, parameters: unknown, eventId: number) =>
    JSON.stringify({
      type: 'client_tool_call',
      client_tool_call: { tool_name: toolName, tool_call_id: toolCallId, parameters, event_id: eventId },
    }),
  // §6.3: an end_call shows up only as this event: name, id, type, is_error.
  agentToolResponse: (toolName: string, toolCallId: string, toolType: string, isError: boolean) =>
    JSON.stringify({
      type: 'agent_tool_response',
      agent_tool_response: { tool_name: toolName, tool_call_id: toolCallId, tool_type: toolType, is_error: isError },
    }),
  // 2026 `error` event, sent before an error close (§4.3, §4.8).
  error: (code: number, message: string) =>
    JSON.stringify({ type: 'error', error_event: { code, message, error_type: 'invalid_message' } }),
};
