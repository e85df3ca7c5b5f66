import type { StandInAudioSource } from './standin-audio.js';

/**
 * - `normal`: audio in chunks with delays, then the final message.
 * - `error-mid-stream`: after `errorAfterChunks` chunks, `{ message, error }` then close 1011 (HTTP: the body is cut).
 * - `auth-close`: close 1008 `invalid_api_key` right after the upgrade (HTTP: 401).
 * - `refuse-upgrade`: the WebSocket upgrade gets HTTP 503 (the HTTP endpoint still works).
 * - `stall`: accepts the text and never answers.
 */
export type StandInMode = 'normal' | 'error-mid-stream' | 'auth-close' | 'refuse-upgrade' | 'stall';

export interface TtsStandInOptions {
  port?: number;
  host?: string;
  /** When set, requests must carry this `xi-api-key`. */
  apiKey?: string;
  audio?: StandInAudioSource;
  mode?: StandInMode;
  /** Mean chunk size in bytes (default 800 = 100 ms of G.711). */
  chunkBytes?: number;
  /** Delay before the first chunk (model latency), default 30 ms. */
  firstChunkDelayMs?: number;
  /** Delay between chunks, default 40 ms (faster than real time, as the real service is). */
  chunkDelayMs?: number;
  errorAfterChunks?: number;
  /** Spelling of the final flag: the spec disagrees with itself (protocols.md §5.2). Default `isFinal`. */
  finalKey?: 'isFinal' | 'is_final';
}

/** One synthesis the stand-in ran (the engine-call count tests look at). */
export interface SynthesisRecord {
  transport: 'ws' | 'http';
  voiceId: string;
  modelId: string | null;
  outputFormat: string;
  text: string;
  voiceSettings?: Record<string, unknown>;
  startedAt: number;
  firstAudioAt?: number;
  finalAt?: number;
  bytesSent: number;
  chunksSent: number;
  outcome?: 'final' | 'error' | 'client-gone';
}
