/**
 * ElevenLabs TTS over the `stream-input` WebSocket (protocols.md §5.1): one
 * socket per message, `xi-api-key` on the upgrade, G.711 out (`ulaw_8000` /
 * `alaw_8000`) so the bytes go to the phone untouched. The whole text is sent
 * at once with `flush: true`, then `{text:""}` ends the stream; audio chunks
 * are yielded as they arrive, until `isFinal` (or `is_final`).
 *
 * When the socket cannot be opened (network, timeout, non-auth HTTP error on
 * the upgrade) and a fallback engine is set, the HTTP streaming endpoint is used.
 */
import WebSocket from 'ws';
import { ChunkQueue } from './chunk-queue.js';
import {
  CLOSE_MESSAGE, DOCUMENTED_CHUNK_SCHEDULE, closeError, initializeMessage, parseServerMessage, streamInputUrl, textMessage,
} from './elevenlabs-tts-wire.js';
import { TtsError, throwIfAborted, voiceIdOf, type TtsEngine, type TtsRequest, type VoiceSettings } from './tts-engine.js';

export interface ElevenLabsTtsOptions {
  /** REST base (`https://api.elevenlabs.io`); the socket URL switches the scheme. */
  apiUrl: string;
  apiKey?: string;
  /** Defaults for requests that name none. */
  voiceId?: string;
  modelId: string;
  voiceSettings?: VoiceSettings;
  /** Deadline for the upgrade, and the longest silence from the server while waiting for audio. */
  timeoutMs: number;
  /** Server-side `inactivity_timeout` (s, ≤ 180). Default 20. */
  inactivityTimeoutSeconds?: number;
  chunkLengthSchedule?: number[];
  /** Used when the socket cannot be opened (typically `ElevenLabsHttpTts`). */
  fallback?: TtsEngine;
}

const FALLBACK_CODES = new Set(['connect_failed', 'timeout']);

export class ElevenLabsTts implements TtsEngine {
  readonly name = 'elevenlabs';

  constructor(private readonly opts: ElevenLabsTtsOptions) {}

  async *synthesize(request: TtsRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    throwIfAborted(signal);
    const voiceId = voiceIdOf(request, this.opts.voiceId);
    const url = streamInputUrl({
      apiUrl: this.opts.apiUrl, voiceId, modelId: request.modelId ?? this.opts.modelId, encoding: request.encoding,
      inactivityTimeoutSeconds: this.opts.inactivityTimeoutSeconds ?? 20,
    });
    let ws: WebSocket;
    try {
      ws = await this.connect(url, signal);
    } catch (err) {
      if (!(this.opts.fallback && err instanceof TtsError && FALLBACK_CODES.has(err.code))) throw err;
      yield* this.opts.fallback.synthesize({ ...request, voiceId }, signal);
      return;
    }
    const audio = this.receive(ws, signal);
    const settings = request.voiceSettings ?? this.opts.voiceSettings;
    ws.send(initializeMessage(settings, this.opts.chunkLengthSchedule ?? DOCUMENTED_CHUNK_SCHEDULE));
    ws.send(textMessage(request.text));
    ws.send(CLOSE_MESSAGE);
    try {
      yield* audio;
    } finally {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    }
  }

  /** Opens the socket; rejects with `connect_failed`, `timeout`, an API code (401/403/429) or `aborted`. */
  private connect(url: string, signal: AbortSignal): Promise<WebSocket> {
    const headers: Record<string, string> = this.opts.apiKey ? { 'xi-api-key': this.opts.apiKey } : {};
    const ws = new WebSocket(url, { headers, handshakeTimeout: this.opts.timeoutMs });
    return new Promise<WebSocket>((resolve, reject) => {
      const onAbort = (): void => {
        ws.terminate();
        reject(new TtsError('aborted', 'synthesis aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      ws.once('open', () => {
        signal.removeEventListener('abort', onAbort);
        ws.removeAllListeners('error');
        resolve(ws);
      });
      ws.once('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(upgradeError(err));
      });
    });
  }

  /** Server messages → a queue of audio chunks that ends at the final message and fails on errors or early closes. */
  private receive(ws: WebSocket, signal: AbortSignal): ChunkQueue<Uint8Array> {
    const queue = new ChunkQueue<Uint8Array>();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new TtsError('timeout', `no audio from the TTS server for ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    };
    const fail = (err: TtsError): void => {
      queue.fail(err);
      ws.terminate();
    };
    const onAbort = (): void => fail(new TtsError('aborted', 'synthesis aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const event = parseServerMessage(data.toString());
      if (!queue.closed) arm();
      if (event.type === 'audio') queue.push(event.audio);
      else if (event.type === 'final') {
        clearTimeout(timer);
        queue.end();
      }
      else if (event.type === 'error') fail(event.error);
    });
    ws.on('error', () => undefined); // 'close' follows and decides
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (code === 1000) queue.end(); // the server ends the stream after our empty text
      else queue.fail(closeError(code, reason.toString()));
    });
    arm();
    return queue;
  }
}

/** ws reports a refused upgrade as "Unexpected server response: <status>". */
function upgradeError(err: Error): TtsError {
  const status = Number(/Unexpected server response: (\d+)/.exec(err.message)?.[1] ?? 0);
  if (status === 401) return new TtsError('invalid_api_key', `TTS upgrade refused (401): check ELEVENLABS_API_KEY`, undefined, 401);
  if (status === 403) return new TtsError('only_for_creator+', 'TTS upgrade refused (403)', undefined, 403);
  if (status === 429) return new TtsError('too_many_concurrent_requests', 'TTS upgrade refused (429)', undefined, 429);
  if (/timed out/i.test(err.message)) return new TtsError('timeout', `TTS socket did not open in time: ${err.message}`);
  return new TtsError('connect_failed', `TTS socket could not be opened: ${err.message}`);
}
