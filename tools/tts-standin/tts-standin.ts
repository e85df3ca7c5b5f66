/**
 * A local stand-in for ElevenLabs text-to-speech (protocols.md §5.1, §5.3):
 * the `stream-input` WebSocket and the HTTP streaming endpoint on one
 * `node:http` server, port 0 in tests. Audio is a tone or espeak-ng speech in
 * the requested G.711 law, sent progressively with delays. It records every
 * synthesis and every protocol violation; `mode` injects failures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { synthesizeAudio } from './standin-audio.js';
import type { StandInMode, SynthesisRecord, TtsStandInOptions } from './types.js';
import { OUTPUT_FORMATS, chunkSizes, isG711Format } from './wire.js';
import { runSession, type SessionContext } from './ws-session.js';

export type * from './types.js';

const WS_PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream-input$/;
const HTTP_PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream$/;

export class TtsStandIn {
  readonly syntheses: SynthesisRecord[] = [];
  readonly violations: string[] = [];
  /** Query strings and api-key presence of every WebSocket upgrade and HTTP request. */
  readonly requests: { transport: 'ws' | 'http'; url: string; apiKey: string | undefined }[] = [];
  mode: StandInMode;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();

  private constructor(private readonly server: Server, readonly url: string, private readonly opts: TtsStandInOptions) {
    this.mode = opts.mode ?? 'normal';
  }

  static async start(opts: TtsStandInOptions = {}): Promise<TtsStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const standIn = new TtsStandIn(server, `http://${opts.host ?? '127.0.0.1'}:${port}`, opts);
    server.on('upgrade', (req, socket: Socket, head) => standIn.onUpgrade(req, socket, head));
    server.on('request', (req, res) => void standIn.onRequest(req, res));
    return standIn;
  }

  /** Syntheses whose text matched (all, by default). */
  count(text?: string): number {
    return this.syntheses.filter((s) => text === undefined || s.text === text).length;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private settings(): SessionContext['opts'] {
    const o = this.opts;
    return {
      audio: o.audio ?? 'tone', mode: this.mode, chunkBytes: o.chunkBytes ?? 800, firstChunkDelayMs: o.firstChunkDelayMs ?? 30,
      chunkDelayMs: o.chunkDelayMs ?? 40, errorAfterChunks: o.errorAfterChunks ?? 2, finalKey: o.finalKey ?? 'isFinal',
    };
  }

  private keyOk(req: IncomingMessage): boolean {
    return !this.opts.apiKey || req.headers['xi-api-key'] === this.opts.apiKey;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url);
    const voice = WS_PATH.exec(url.pathname)?.[1];
    this.requests.push({ transport: 'ws', url: req.url ?? '', apiKey: req.headers['xi-api-key'] as string | undefined });
    if (!voice || this.mode === 'refuse-upgrade') {
      socket.end(`HTTP/1.1 ${voice ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      const format = url.searchParams.get('output_format');
      if (!this.keyOk(req) || this.mode === 'auth-close') return ws.close(1008, 'invalid_api_key');
      if (!isG711Format(format)) return this.refuse(ws, `unsupported output_format ${format}`);
      if (!url.searchParams.get('model_id')) this.violations.push('model_id not passed');
      const inactivity = Number(url.searchParams.get('inactivity_timeout') ?? 20);
      if (!(inactivity > 0 && inactivity <= 180)) return this.refuse(ws, 'inactivity_timeout must be 1-180');
      runSession(ws, {
        voiceId: decodeURIComponent(voice), modelId: url.searchParams.get('model_id'), format, opts: this.settings(),
        record: (r) => this.syntheses.push(r), violation: (m) => this.violations.push(m),
      });
    });
  }

  private refuse(ws: WebSocket, message: string): void {
    this.violations.push(message);
    ws.close(1008, message);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const voice = HTTP_PATH.exec(url.pathname)?.[1];
    this.requests.push({ transport: 'http', url: req.url ?? '', apiKey: req.headers['xi-api-key'] as string | undefined });
    if (!voice || req.method !== 'POST') return httpError(res, 404, 'not_found', 'no such route');
    if (!this.keyOk(req) || this.mode === 'auth-close') return httpError(res, 401, 'invalid_api_key', 'Invalid API key');
    const format = url.searchParams.get('output_format');
    if (!isG711Format(format)) return httpError(res, 400, 'invalid_output_format', `stand-in speaks G.711 only, got ${format}`);
    const body = await readJson(req);
    if (typeof body?.text !== 'string' || !body.text) return httpError(res, 400, 'invalid_text', 'text is required');
    const rec: SynthesisRecord = {
      transport: 'http', voiceId: decodeURIComponent(voice), modelId: (body.model_id as string) ?? null, outputFormat: format,
      text: body.text, voiceSettings: body.voice_settings as Record<string, unknown> | undefined, startedAt: performance.now(), bytesSent: 0, chunksSent: 0,
    };
    this.syntheses.push(rec);
    await this.streamHttp(res, rec, synthesizeAudio(body.text, OUTPUT_FORMATS[format], this.settings().audio));
  }

  private async streamHttp(res: ServerResponse, rec: SynthesisRecord, audio: Uint8Array): Promise<void> {
    const o = this.settings();
    if (o.mode === 'stall') return;
    res.writeHead(200, { 'content-type': 'audio/basic' });
    let at = 0;
    for (const size of chunkSizes(audio.length, o.chunkBytes)) {
      await sleep(rec.chunksSent === 0 ? o.firstChunkDelayMs : o.chunkDelayMs);
      if (res.destroyed) return void (rec.outcome = 'client-gone');
      if (o.mode === 'error-mid-stream' && rec.chunksSent === o.errorAfterChunks) {
        rec.outcome = 'error';
        return void res.socket?.destroy();
      }
      res.write(audio.subarray(at, at + size));
      at += size;
      rec.firstAudioAt ??= performance.now();
      rec.bytesSent += size;
      rec.chunksSent++;
    }
    res.end();
    rec.finalAt = performance.now();
    rec.outcome = 'final';
  }
}

function httpError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: { status: code, message } }));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    return JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
