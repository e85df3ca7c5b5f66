/**
 * One `stream-input` socket: checks the initialize message, buffers text,
 * synthesizes on `flush` or on the closing empty text, streams base64 audio
 * progressively, then the final message; closes 1000 after `{text:""}`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { synthesizeAudio } from './standin-audio.js';
import type { SynthesisRecord, TtsStandInOptions } from './types.js';
import { OUTPUT_FORMATS, chunkSizes, initViolation, parseClientMessage, type StandInFormat } from './wire.js';

export interface SessionContext {
  voiceId: string;
  modelId: string | null;
  format: StandInFormat;
  opts: Required<Omit<TtsStandInOptions, 'apiKey' | 'port' | 'host'>>;
  record(r: SynthesisRecord): void;
  violation(message: string): void;
}

export function runSession(ws: WebSocket, ctx: SessionContext): void {
  let initialized = false;
  let buffered = '';
  let work = Promise.resolve();
  let voiceSettings: Record<string, unknown> | undefined;
  ws.on('message', (data) => {
    const msg = parseClientMessage(data.toString());
    if (typeof msg === 'string') return reject(ws, ctx, msg);
    if (!initialized) {
      const problem = initViolation(msg);
      if (problem) return reject(ws, ctx, problem);
      initialized = true;
      voiceSettings = msg.voice_settings;
      return;
    }
    if (msg.text !== '' && !msg.text.endsWith(' ')) ctx.violation(`text chunk should end with a space: ${JSON.stringify(msg.text.slice(-10))}`);
    buffered += msg.text;
    const closing = msg.text === '';
    if ((msg.flush || closing) && buffered.trim()) {
      const text = buffered.trim();
      buffered = '';
      work = work.then(() => stream(ws, ctx, text, voiceSettings));
    }
    if (closing) void work.then(() => ws.readyState === ws.OPEN && ws.close(1000));
  });
}

function reject(ws: WebSocket, ctx: SessionContext, message: string): void {
  ctx.violation(message);
  ws.close(1008, message.slice(0, 120));
}

async function stream(ws: WebSocket, ctx: SessionContext, text: string, voiceSettings?: Record<string, unknown>): Promise<void> {
  const { opts } = ctx;
  const rec: SynthesisRecord = {
    transport: 'ws', voiceId: ctx.voiceId, modelId: ctx.modelId, outputFormat: ctx.format, text, voiceSettings,
    startedAt: performance.now(), bytesSent: 0, chunksSent: 0,
  };
  ctx.record(rec);
  if (opts.mode === 'stall') return new Promise(() => undefined);
  const audio = synthesizeAudio(text, OUTPUT_FORMATS[ctx.format], opts.audio);
  let at = 0;
  for (const size of chunkSizes(audio.length, opts.chunkBytes)) {
    await sleep(rec.chunksSent === 0 ? opts.firstChunkDelayMs : opts.chunkDelayMs);
    if (ws.readyState !== ws.OPEN) return void (rec.outcome = 'client-gone');
    if (opts.mode === 'error-mid-stream' && rec.chunksSent === opts.errorAfterChunks) {
      rec.outcome = 'error';
      ws.send(JSON.stringify({ message: 'An internal server error occurred', error: 'internal_server_error', code: 1011 }));
      return ws.close(1011, 'internal_server_error');
    }
    const chunk = audio.subarray(at, at + size);
    at += size;
    ws.send(JSON.stringify({ audio: Buffer.from(chunk).toString('base64'), normalizedAlignment: alignment(text), alignment: alignment(text) }));
    rec.firstAudioAt ??= performance.now();
    rec.bytesSent += chunk.length;
    rec.chunksSent++;
  }
  ws.send(JSON.stringify({ [opts.finalKey]: true, audio: null }));
  rec.finalAt = performance.now();
  rec.outcome = 'final';
}

/** A plausible alignment object, which clients should ignore. */
function alignment(text: string): { chars: string[]; charStartTimesMs: number[]; charsDurationsMs: number[] } {
  const chars = [...text.slice(0, 5)];
  return { chars, charStartTimesMs: chars.map((_, i) => i * 60), charsDurationsMs: chars.map(() => 60) };
}
