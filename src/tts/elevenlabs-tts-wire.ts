/**
 * The ElevenLabs TTS `stream-input` wire format (protocols.md §5.1), pure:
 * URLs, client messages, server message parsing and close-code mapping.
 */
import { TtsError, apiErrorCode, type TtsEncoding, type VoiceSettings } from './tts-engine.js';

export const DOCUMENTED_CHUNK_SCHEDULE = [120, 160, 250, 290];

export function outputFormat(encoding: TtsEncoding): 'ulaw_8000' | 'alaw_8000' {
  return encoding === 'ulaw' ? 'ulaw_8000' : 'alaw_8000';
}

export interface StreamInputUrlParams {
  apiUrl: string;
  voiceId: string;
  modelId: string;
  encoding: TtsEncoding;
  inactivityTimeoutSeconds: number;
}

/** `wss://…/v1/text-to-speech/{voice}/stream-input?model_id&output_format&inactivity_timeout` (http base → ws). */
export function streamInputUrl(p: StreamInputUrlParams): string {
  const url = new URL(`${p.apiUrl.replace(/^http/, 'ws')}/v1/text-to-speech/${encodeURIComponent(p.voiceId)}/stream-input`);
  url.searchParams.set('model_id', p.modelId);
  url.searchParams.set('output_format', outputFormat(p.encoding));
  url.searchParams.set('inactivity_timeout', String(p.inactivityTimeoutSeconds));
  return url.toString();
}

/** `POST …/v1/text-to-speech/{voice}/stream?output_format=…` (HTTP streaming, §5.3). */
export function httpStreamUrl(apiUrl: string, voiceId: string, encoding: TtsEncoding): string {
  return `${apiUrl}/v1/text-to-speech/${encodeURIComponent(voiceId)}/stream?output_format=${outputFormat(encoding)}`;
}

/** Initialize: text must be a single space; settings are set once, here. */
export function initializeMessage(voiceSettings: VoiceSettings | undefined, schedule: number[]): string {
  const msg: Record<string, unknown> = { text: ' ', generation_config: { chunk_length_schedule: schedule } };
  if (voiceSettings && Object.keys(voiceSettings).length > 0) msg.voice_settings = voiceSettings;
  return JSON.stringify(msg);
}

/** The whole text, ending with one space, flushed so generation starts now. */
export function textMessage(text: string): string {
  return JSON.stringify({ text: `${text.trimEnd()} `, flush: true });
}

/** An empty text ends the stream; the server generates what is buffered, then closes. */
export const CLOSE_MESSAGE = JSON.stringify({ text: '' });

export type ServerEvent =
  | { type: 'audio'; audio: Uint8Array }
  | { type: 'final' }
  | { type: 'error'; error: TtsError }
  | { type: 'ignored' };

/** Parses one server message. Alignment data is ignored: playback needs none of it. */
export function parseServerMessage(raw: string): ServerEvent {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return { type: 'error', error: new TtsError('protocol_error', 'TTS server sent a message that is not JSON') };
  }
  if (typeof msg !== 'object' || msg === null) return { type: 'ignored' };
  const m = msg as Record<string, unknown>;
  if (typeof m.audio === 'string' && m.audio.length > 0) return { type: 'audio', audio: Buffer.from(m.audio, 'base64') };
  if (m.isFinal === true || m.is_final === true) return { type: 'final' };
  if (m.error !== undefined && m.error !== null) return { type: 'error', error: serverError(m) };
  return { type: 'ignored' };
}

function serverError(m: Record<string, unknown>): TtsError {
  const errorText = typeof m.error === 'string' ? m.error : JSON.stringify(m.error);
  const message = typeof m.message === 'string' ? m.message : errorText;
  return new TtsError(apiErrorCode(`${errorText} ${message}`, 'server_error'), `TTS server error: ${message}`);
}

/** A close before the final message: 1008 (policy: auth, bad input, inactivity) and 1011 (internal) get their own codes. */
export function closeError(code: number, reason: string): TtsError {
  const why = reason ? `: ${reason}` : '';
  if (code === 1008) return new TtsError(apiErrorCode(reason, 'policy_violation'), `TTS socket closed by policy (1008)${why}`, code, 400);
  if (code === 1011) return new TtsError(apiErrorCode(reason, 'server_error'), `TTS server internal error (1011)${why}`, code);
  return new TtsError('connection_lost', `TTS socket closed (${code}) before the audio was complete${why}`, code);
}
