/**
 * What the rest of the bridge uses for speech: one engine chosen from config
 * (ElevenLabs when a key and voice are set, else the embedded espeak-ng),
 * behind the cache. `stream` plays at once (cached, shared, or fresh);
 * `prefetch` synthesizes ahead, e.g. a templated message just before dialing.
 */
import type { Registry } from 'prom-client';
import type { TtsConfig } from '../../config/tts.js';
import { ElevenLabsTts } from './elevenlabs-tts.js';
import { ElevenLabsHttpTts } from './elevenlabs-tts-http.js';
import { EspeakTts } from './espeak-tts.js';
import { TtsCache } from './tts-cache.js';
import { cacheKey, type TtsEncoding, type TtsEngine, type TtsRequest, type VoiceSettings } from './tts-engine.js';

export interface SpeakOptions {
  encoding: TtsEncoding;
  /** Engine-specific voice (an ElevenLabs voice id, or an espeak-ng voice); default from config. */
  voiceId?: string;
  modelId?: string;
  voiceSettings?: VoiceSettings;
}

export interface TtsServiceOptions {
  engine: TtsEngine;
  cache: TtsCache;
  /** Filled into every request before it is keyed, so the key names what is really synthesized. */
  defaults?: { voiceId?: string; modelId?: string; voiceSettings?: VoiceSettings };
}

export class TtsService {
  constructor(private readonly opts: TtsServiceOptions) {}

  get engineName(): string {
    return this.opts.engine.name;
  }

  get cache(): TtsCache {
    return this.opts.cache;
  }

  /** The message as G.711 chunks, as soon as they exist. Throws `TtsError` (after the chunks that did arrive). */
  stream(text: string, opts: SpeakOptions, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const request = this.request(text, opts);
    return this.opts.cache.stream(this.key(request), (s) => this.opts.engine.synthesize(request, s), signal);
  }

  /** Synthesizes now (or finds it cached) and resolves with the whole message. */
  prefetch(text: string, opts: SpeakOptions, signal?: AbortSignal): Promise<Uint8Array> {
    const request = this.request(text, opts);
    return this.opts.cache.prefetch(this.key(request), (s) => this.opts.engine.synthesize(request, s), signal);
  }

  close(): void {
    this.opts.cache.close();
  }

  private key(request: TtsRequest): string {
    return cacheKey(this.opts.engine.name, request);
  }

  private request(text: string, opts: SpeakOptions): TtsRequest {
    const d = this.opts.defaults ?? {};
    const settings = { ...d.voiceSettings, ...opts.voiceSettings };
    return {
      text,
      encoding: opts.encoding,
      voiceId: opts.voiceId ?? d.voiceId,
      modelId: opts.modelId ?? d.modelId,
      voiceSettings: Object.keys(settings).length ? settings : undefined,
    };
  }
}

export interface TtsServiceDeps {
  /** ElevenLabs REST base and key (config.elevenlabs). */
  elevenlabs: { apiUrl: string; apiKey?: string };
  registry?: Registry;
}

/** The engine config asks for. */
export function createTtsEngine(cfg: TtsConfig, deps: TtsServiceDeps): TtsEngine {
  if (cfg.engine === 'espeak') return new EspeakTts({ voice: cfg.espeakVoice, timeoutMs: cfg.timeoutMs });
  const common = { ...deps.elevenlabs, voiceId: cfg.voiceId, modelId: cfg.modelId, timeoutMs: cfg.timeoutMs };
  return new ElevenLabsTts({ ...common, fallback: cfg.httpFallback ? new ElevenLabsHttpTts(common) : undefined });
}

export function createTtsService(cfg: TtsConfig, deps: TtsServiceDeps): TtsService {
  const engine = createTtsEngine(cfg, deps);
  const espeak = cfg.engine === 'espeak';
  return new TtsService({
    engine,
    cache: new TtsCache({ maxBytes: cfg.cacheMaxBytes, registry: deps.registry }),
    defaults: espeak
      ? { voiceId: cfg.espeakVoice, voiceSettings: cfg.voiceSettings.speed ? { speed: cfg.voiceSettings.speed } : undefined }
      : { voiceId: cfg.voiceId, modelId: cfg.modelId, voiceSettings: cfg.voiceSettings },
  });
}
