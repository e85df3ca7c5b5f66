/** Text-to-speech: engines, cache, service and playback (see README "Spoken messages"). */
export { ElevenLabsTts, type ElevenLabsTtsOptions } from './elevenlabs-tts.js';
export { ElevenLabsHttpTts, type ElevenLabsHttpTtsOptions } from './elevenlabs-tts-http.js';
export { EspeakTts, type EspeakTtsOptions } from './espeak-tts.js';
export { TtsCache, type TtsCacheOptions, type Synthesize } from './tts-cache.js';
export { cacheKey, TtsError, type TtsEncoding, type TtsEngine, type TtsErrorCode, type TtsRequest, type VoiceSettings } from './tts-engine.js';
export { TtsPlayback, type PlaybackResult, type PlaybackSink, type TtsPlaybackOptions } from './tts-playback.js';
export { createTtsEngine, createTtsService, TtsService, type SpeakOptions, type TtsServiceDeps, type TtsServiceOptions } from './tts-service.js';
