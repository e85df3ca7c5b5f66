/**
 * ElevenLabs HTTP streaming TTS (protocols.md §5.3): `POST
 * /v1/text-to-speech/{voice}/stream?output_format=ulaw_8000|alaw_8000`; the
 * response body is headerless G.711, yielded chunk by chunk as it arrives.
 * Errors come back as `{ detail: { status, message } }` with 4xx/5xx.
 */
import { httpStreamUrl } from './elevenlabs-tts-wire.js';
import { TtsError, apiErrorCode, throwIfAborted, voiceIdOf, type TtsEngine, type TtsRequest, type VoiceSettings } from './tts-engine.js';

export interface ElevenLabsHttpTtsOptions {
  apiUrl: string;
  apiKey?: string;
  voiceId?: string;
  modelId: string;
  voiceSettings?: VoiceSettings;
  /** Deadline for the response headers, and the longest gap between body chunks. */
  timeoutMs: number;
}

export class ElevenLabsHttpTts implements TtsEngine {
  readonly name = 'elevenlabs';

  constructor(private readonly opts: ElevenLabsHttpTtsOptions) {}

  async *synthesize(request: TtsRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    throwIfAborted(signal);
    const voiceId = voiceIdOf(request, this.opts.voiceId);
    const stall = new AbortController();
    let timer = setTimeout(() => stall.abort(), this.opts.timeoutMs);
    const res = await this.post(voiceId, request, AbortSignal.any([signal, stall.signal]), signal);
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read().catch((err: unknown) => {
          throw streamError(err, signal, this.opts.timeoutMs);
        });
        if (done) return;
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(), this.opts.timeoutMs);
        if (value.byteLength > 0) yield value;
      }
    } finally {
      clearTimeout(timer);
      reader.cancel().catch(() => undefined);
    }
  }

  private async post(voiceId: string, request: TtsRequest, combined: AbortSignal, caller: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'audio/basic' };
    if (this.opts.apiKey) headers['xi-api-key'] = this.opts.apiKey;
    const body = JSON.stringify({
      text: request.text,
      model_id: request.modelId ?? this.opts.modelId,
      voice_settings: request.voiceSettings ?? this.opts.voiceSettings,
    });
    let res: Response;
    try {
      res = await fetch(httpStreamUrl(this.opts.apiUrl, voiceId, request.encoding), { method: 'POST', headers, body, signal: combined });
    } catch (err) {
      throw streamError(err, caller, this.opts.timeoutMs, 'connect_failed');
    }
    if (!res.ok || !res.body) throw await httpError(res);
    return res;
  }
}

function streamError(err: unknown, caller: AbortSignal, timeoutMs: number, otherwise: 'connect_failed' | 'connection_lost' = 'connection_lost'): TtsError {
  if (caller.aborted) return new TtsError('aborted', 'synthesis aborted');
  if ((err as Error).name === 'AbortError') return new TtsError('timeout', `no audio from the TTS server for ${timeoutMs} ms`);
  return new TtsError(otherwise, `TTS HTTP stream failed: ${(err as Error).message}`);
}

async function httpError(res: Response): Promise<TtsError> {
  const text = await res.text().catch(() => '');
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { detail?: { status?: string; message?: string } | string };
    detail = typeof parsed.detail === 'string' ? parsed.detail : `${parsed.detail?.status ?? ''} ${parsed.detail?.message ?? ''}`.trim();
  } catch {
    // not JSON: keep the raw text
  }
  const fallback = res.status === 429 ? 'system_busy' : res.status >= 500 ? 'server_error' : 'http_error';
  return new TtsError(apiErrorCode(detail, fallback), `TTS HTTP ${res.status}: ${detail.slice(0, 200)}`, undefined, res.status);
}
