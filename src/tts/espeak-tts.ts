/**
 * The embedded, offline TTS engine: espeak-ng (Debian package `espeak-ng`).
 * Spawns `espeak-ng --stdout`, feeds the text on stdin (never as an
 * argument, so a text starting with "-" is just text), and converts the WAV
 * it writes (22.05 kHz PCM16) to 8 kHz G.711 as the bytes arrive.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ChunkQueue } from './chunk-queue.js';
import { TtsError, throwIfAborted, type TtsEngine, type TtsRequest } from './tts-engine.js';
import { WavStreamToG711 } from './wav-stream-g711.js';

export interface EspeakTtsOptions {
  /** Program to run; default `espeak-ng`. */
  command?: string;
  /** Default voice, e.g. `en-us`, `fr`, `en-us+f3`. */
  voice: string;
  /** Speaking rate at speed 1.0 (espeak-ng's own default is 175). */
  wordsPerMinute?: number;
  /** Longest wait for output from the process. */
  timeoutMs: number;
}

const VOICE_NAME = /^[A-Za-z0-9][\w+.\/-]*$/;

export class EspeakTts implements TtsEngine {
  readonly name = 'espeak';
  /** Processes started (each synthesis is one). */
  spawnCount = 0;

  constructor(private readonly opts: EspeakTtsOptions) {}

  async *synthesize(request: TtsRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    throwIfAborted(signal);
    const child = this.spawn(request);
    const audio = this.collect(child, new WavStreamToG711(request.encoding), signal);
    child.stdin.on('error', () => undefined); // EPIPE if it died early; 'close' reports why
    child.stdin.end(request.text);
    try {
      yield* audio;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  private spawn(request: TtsRequest): ChildProcessWithoutNullStreams {
    const voice = request.voiceId ?? this.opts.voice;
    if (!VOICE_NAME.test(voice)) throw new TtsError('bad_request', `invalid espeak-ng voice name "${voice}"`, undefined, 400);
    const wpm = Math.round((this.opts.wordsPerMinute ?? 175) * (request.voiceSettings?.speed ?? 1));
    this.spawnCount++;
    return spawn(this.opts.command ?? 'espeak-ng', ['--stdout', '-b', '1', '-v', voice, '-s', String(wpm)], { stdio: 'pipe' });
  }

  /** Process output → queue of G.711 chunks; ends on exit 0, fails with a clear code otherwise. */
  private collect(child: ChildProcessWithoutNullStreams, wav: WavStreamToG711, signal: AbortSignal): ChunkQueue<Uint8Array> {
    const queue = new ChunkQueue<Uint8Array>();
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: TtsError): void => {
      queue.fail(err);
      child.kill('SIGKILL');
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new TtsError('timeout', `espeak-ng wrote nothing for ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    };
    const onAbort = (): void => fail(new TtsError('aborted', 'synthesis aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (bytes: Buffer) => {
      arm();
      try {
        const g711 = wav.push(bytes);
        if (g711.length > 0) queue.push(g711);
      } catch (err) {
        fail(err as TtsError);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-500)));
    child.on('error', (err: NodeJS.ErrnoException) => fail(spawnError(err, this.opts.command ?? 'espeak-ng')));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (code === 0) queue.end();
      else queue.fail(new TtsError('engine_failed', `espeak-ng failed (${code ?? sig}): ${stderr.trim() || 'no message'}`));
    });
    arm();
    return queue;
  }
}

function spawnError(err: NodeJS.ErrnoException, command: string): TtsError {
  if (err.code === 'ENOENT') {
    return new TtsError('engine_missing', `${command} is not installed: apt-get install espeak-ng (or set ELEVENLABS_API_KEY and TTS_VOICE_ID)`, undefined, 503);
  }
  return new TtsError('engine_failed', `${command} could not be started: ${err.message}`);
}
