import { createHash } from 'node:crypto';
import { BridgeError } from '../errors.js';

/** The two G.711 laws a phone leg speaks; TTS is asked for exactly this, so nothing is transcoded. */
export type TtsEncoding = 'ulaw' | 'alaw';

/** ElevenLabs voice settings (protocols.md §5.1); engines ignore what they cannot honour. */
export interface VoiceSettings {
  stability?: number;
  similarity_boost?: number;
  style?: number;
  use_speaker_boost?: boolean;
  /** 0.7–1.2 on ElevenLabs; espeak maps it to words per minute. */
  speed?: number;
}

export interface TtsRequest {
  text: string;
  /** Engine-specific: an ElevenLabs voice id, or an espeak-ng voice name (`en-us`). */
  voiceId?: string;
  modelId?: string;
  voiceSettings?: VoiceSettings;
  encoding: TtsEncoding;
}

/**
 * A speech synthesiser. `synthesize` yields raw 8 kHz G.711 (in the requested
 * law) in chunks of any size, as soon as each is available; the consumer frames
 * them. It throws a `TtsError` on failure (and `aborted` once `signal` fires).
 */
export interface TtsEngine {
  readonly name: string;
  synthesize(request: TtsRequest, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

export type TtsErrorCode =
  // ElevenLabs API codes (protocols.md §5.1 "Errors")
  | 'invalid_api_key' | 'quota_exceeded' | 'voice_not_found' | 'max_character_limit_exceeded'
  | 'only_for_creator+' | 'too_many_concurrent_requests' | 'system_busy'
  // transport and local engine failures
  | 'connect_failed' | 'timeout' | 'policy_violation' | 'server_error' | 'connection_lost'
  | 'protocol_error' | 'http_error' | 'aborted' | 'engine_missing' | 'engine_failed' | 'bad_request';

const API_CODES = new Set<string>([
  'invalid_api_key', 'quota_exceeded', 'voice_not_found', 'max_character_limit_exceeded',
  'only_for_creator+', 'too_many_concurrent_requests', 'system_busy',
]);

/** Maps a code the service sent (or found in a close reason) to ours; unknown ones become `fallback`. */
export function apiErrorCode(text: string | undefined, fallback: TtsErrorCode): TtsErrorCode {
  if (!text) return fallback;
  for (const code of API_CODES) if (text.includes(code)) return code as TtsErrorCode;
  return fallback;
}

/** A TTS failure with a machine-readable code, and the WebSocket close code or HTTP status when one applies. */
export class TtsError extends BridgeError {
  constructor(
    override readonly code: TtsErrorCode,
    message: string,
    readonly closeCode?: number,
    status = 502,
  ) {
    super(code, message, status);
    this.name = 'TtsError';
  }

  /** Worth another try later (429-class and transport failures), as opposed to a configuration problem. */
  get retryable(): boolean {
    return ['too_many_concurrent_requests', 'system_busy', 'connect_failed', 'timeout', 'server_error', 'connection_lost'].includes(this.code);
  }
}

/** `TtsError('aborted')` once the signal has fired. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new TtsError('aborted', 'synthesis aborted');
}

/** JSON with sorted keys and no undefined values, so equal settings give equal keys. */
function stableJson(value: object | undefined): string {
  if (!value) return '';
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(Object.fromEntries(entries));
}

/** Cache key: engine, voice, model, settings, encoding and the exact text (hashed). */
export function cacheKey(engine: string, request: TtsRequest): string {
  const parts = [engine, request.voiceId ?? '', request.modelId ?? '', stableJson(request.voiceSettings), request.encoding, request.text];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** The ElevenLabs voice for a request: its own, else the configured default; both engines need one. */
export function voiceIdOf(request: TtsRequest, fallback: string | undefined): string {
  const voiceId = request.voiceId ?? fallback;
  if (!voiceId) throw new TtsError('bad_request', 'no ElevenLabs voice id (set TTS_VOICE_ID)', undefined, 400);
  return voiceId;
}
