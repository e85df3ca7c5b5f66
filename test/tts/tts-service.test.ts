import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/index.js';
import { ElevenLabsTts } from '../../src/tts/elevenlabs-tts.js';
import { EspeakTts } from '../../src/tts/espeak-tts.js';
import { cacheKey } from '../../src/tts/tts-engine.js';
import { createTtsEngine, createTtsService } from '../../src/tts/tts-service.js';
import { TtsStandIn } from '../../tools/tts-standin/tts-standin.js';

describe('TTS configuration', () => {
  it('defaults: auto picks espeak-ng without an ElevenLabs key and voice', () => {
    const { tts } = parseConfig({});
    expect(tts).toEqual({
      engine: 'espeak', voiceId: undefined, modelId: 'eleven_flash_v2_5', voiceSettings: {}, espeakVoice: 'en-us',
      cacheMaxBytes: 64 * 1024 * 1024, httpFallback: true, timeoutMs: 10_000,
    });
    expect(parseConfig({ ELEVENLABS_API_KEY: 'k' }).tts.engine).toBe('espeak');
  });

  it('auto picks ElevenLabs with a key and a voice; settings are parsed', () => {
    const { tts } = parseConfig({
      ELEVENLABS_API_KEY: 'k', TTS_VOICE_ID: 'v1', TTS_STABILITY: '0.4', TTS_SPEED: '1.1', TTS_HTTP_FALLBACK: 'false', TTS_CACHE_MAX_BYTES: '1000',
    });
    expect(tts).toMatchObject({ engine: 'elevenlabs', voiceId: 'v1', voiceSettings: { stability: 0.4, speed: 1.1 }, httpFallback: false, cacheMaxBytes: 1000 });
    expect(parseConfig({ ELEVENLABS_API_KEY: 'k', TTS_VOICE_ID: 'v1', TTS_ENGINE: 'espeak' }).tts.engine).toBe('espeak');
  });

  it('rejects bad values and TTS_ENGINE=elevenlabs without key or voice', () => {
    expect(() => parseConfig({ TTS_ENGINE: 'elevenlabs' })).toThrow(/TTS_ENGINE: elevenlabs needs ELEVENLABS_API_KEY and TTS_VOICE_ID/);
    const err = (() => {
      try {
        parseConfig({ TTS_SPEED: '3', ESPEAK_VOICE: '-x', TTS_ENGINE: 'polly' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.join('\n')).toMatch(/TTS_SPEED[\s\S]*ESPEAK_VOICE|ESPEAK_VOICE[\s\S]*TTS_SPEED/);
    expect(err!.problems.some((p) => p.startsWith('TTS_ENGINE'))).toBe(true);
  });

  it('builds the engine config asks for', () => {
    const deps = { elevenlabs: { apiUrl: 'http://127.0.0.1:1' } };
    expect(createTtsEngine(parseConfig({}).tts, deps)).toBeInstanceOf(EspeakTts);
    expect(createTtsEngine(parseConfig({ ELEVENLABS_API_KEY: 'k', TTS_VOICE_ID: 'v' }).tts, deps)).toBeInstanceOf(ElevenLabsTts);
  });
});

describe('TtsService from config against the stand-in', () => {
  it('sends the configured voice, model and settings; falls back to HTTP when the socket is refused', async () => {
    const standIn = await TtsStandIn.start({ apiKey: 'k', chunkDelayMs: 2 });
    try {
      const cfg = parseConfig({ ELEVENLABS_API_KEY: 'k', TTS_VOICE_ID: 'voice9', TTS_MODEL_ID: 'eleven_turbo_v2_5', TTS_SIMILARITY_BOOST: '0.8' });
      const service = createTtsService(cfg.tts, { elevenlabs: { apiUrl: standIn.url, apiKey: 'k' } });
      await service.prefetch('One.', { encoding: 'ulaw' });
      standIn.mode = 'refuse-upgrade';
      await service.prefetch('Two.', { encoding: 'alaw' });
      expect(standIn.syntheses.map((s) => [s.transport, s.voiceId, s.modelId, s.outputFormat, s.voiceSettings])).toEqual([
        ['ws', 'voice9', 'eleven_turbo_v2_5', 'ulaw_8000', { similarity_boost: 0.8 }],
        ['http', 'voice9', 'eleven_turbo_v2_5', 'alaw_8000', { similarity_boost: 0.8 }],
      ]);
      expect(standIn.violations).toEqual([]);
      expect(service.engineName).toBe('elevenlabs');
    } finally {
      await standIn.close();
    }
  });
});

describe('cacheKey', () => {
  it('ignores settings key order and undefined values; differs on every field', () => {
    const base = { text: 'Hi', encoding: 'ulaw' as const, voiceId: 'v', modelId: 'm' };
    expect(cacheKey('e', { ...base, voiceSettings: { stability: 0.5, speed: 1 } }))
      .toBe(cacheKey('e', { ...base, voiceSettings: { speed: 1, stability: 0.5, style: undefined } }));
    const keys = new Set([
      cacheKey('e', base), cacheKey('f', base), cacheKey('e', { ...base, text: 'Hi ' }), cacheKey('e', { ...base, voiceId: 'w' }),
      cacheKey('e', { ...base, modelId: 'n' }), cacheKey('e', { ...base, encoding: 'alaw' }), cacheKey('e', { ...base, voiceSettings: { speed: 1 } }),
    ]);
    expect(keys.size).toBe(7);
  });
});
