import { z } from 'zod';

/** TTS settings (broadcast messages, prompts spoken by the bridge). Part of the env schema. */
export const ttsEnvShape = {
  TTS_ENGINE: z.enum(['auto', 'elevenlabs', 'espeak']).default('auto'),
  TTS_VOICE_ID: z.string().min(1).optional(),
  TTS_MODEL_ID: z.string().min(1).default('eleven_flash_v2_5'),
  TTS_STABILITY: z.coerce.number().min(0).max(1).optional(),
  TTS_SIMILARITY_BOOST: z.coerce.number().min(0).max(1).optional(),
  TTS_SPEED: z.coerce.number().min(0.7).max(1.2).optional(),
  ESPEAK_VOICE: z.string().regex(/^[A-Za-z0-9][\w+./-]*$/, 'an espeak-ng voice name, e.g. en-us').default('en-us'),
  TTS_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(64 * 1024 * 1024),
  TTS_HTTP_FALLBACK: z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
    .default(true),
  TTS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};

const ttsEnv = z.object(ttsEnvShape);
type TtsEnv = z.infer<typeof ttsEnv> & { ELEVENLABS_API_KEY?: string };

export interface TtsConfig {
  /** The engine in use: ElevenLabs when a key and a voice are set (or asked for), else espeak-ng. */
  engine: 'elevenlabs' | 'espeak';
  voiceId?: string;
  modelId: string;
  voiceSettings: { stability?: number; similarity_boost?: number; speed?: number };
  espeakVoice: string;
  cacheMaxBytes: number;
  httpFallback: boolean;
  timeoutMs: number;
}

/** Cross-field problems (reported with all the others). */
export function ttsProblems(e: TtsEnv): string[] {
  if (e.TTS_ENGINE !== 'elevenlabs') return [];
  const missing = [!e.ELEVENLABS_API_KEY && 'ELEVENLABS_API_KEY', !e.TTS_VOICE_ID && 'TTS_VOICE_ID'].filter(Boolean);
  return missing.length ? [`TTS_ENGINE: elevenlabs needs ${missing.join(' and ')}`] : [];
}

export function ttsConfig(e: TtsEnv): TtsConfig {
  const eleven = e.TTS_ENGINE === 'elevenlabs' || (e.TTS_ENGINE === 'auto' && !!e.ELEVENLABS_API_KEY && !!e.TTS_VOICE_ID);
  return {
    engine: eleven ? 'elevenlabs' : 'espeak',
    voiceId: e.TTS_VOICE_ID,
    modelId: e.TTS_MODEL_ID,
    voiceSettings: Object.fromEntries(
      Object.entries({ stability: e.TTS_STABILITY, similarity_boost: e.TTS_SIMILARITY_BOOST, speed: e.TTS_SPEED }).filter(([, v]) => v !== undefined),
    ),
    espeakVoice: e.ESPEAK_VOICE,
    cacheMaxBytes: e.TTS_CACHE_MAX_BYTES,
    httpFallback: e.TTS_HTTP_FALLBACK,
    timeoutMs: e.TTS_TIMEOUT_MS,
  };
}
