/**
 * A tiny fake BRIDGE for the stand-in's tests: an HTTP server that validates Twilio
 * signatures with twilio-node's own `validateRequest` and answers TwiML, plus a ws server
 * on /twilio/media that validates the upgrade (exact ws URL, empty params, §1.4).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import twilio from 'twilio';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  path: string;
  params: Record<string, string>;
  signatureValid: boolean;
}

export type TwimlReply = string | { status?: number; contentType?: string; body: string };
export type TwimlHandler = (params: Record<string, string>, path: string) => TwimlReply;

export interface BridgeSocket {
  ws: WebSocket;
  /** Every JSON message from the stand-in, with arrival time (performance.now()). */
  messages: Array<{ at: number; msg: any }>;
  /** The next message of this event type not yet returned by next() (a per-event cursor). */
  next(event: string, timeoutMs?: number): Promise<any>;
}

export class FakeBridge {
  readonly requests: RecordedRequest[] = [];
  readonly upgrades: Array<{ signatureValid: boolean; accepted: boolean }> = [];
  readonly sockets: BridgeSocket[] = [];
  /** TwiML per path; default handler 404s. */
  twiml = new Map<string, TwimlHandler>();
  onStream: (s: BridgeSocket) => void = () => undefined;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  port = 0;

  constructor(private readonly authToken: string) {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mediaUrl(): string {
    return `ws://127.0.0.1:${this.port}/twilio/media`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async onRequest(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = req.url ?? '/';
    const params = Object.fromEntries(new URLSearchParams(body));
    const sig = String(req.headers['x-twilio-signature'] ?? '');
    const signatureValid = twilio.validateRequest(this.authToken, sig, this.baseUrl + path, params);
    this.requests.push({ path, params, signatureValid });
    const handler = this.twiml.get(path);
    if (!signatureValid) return void res.writeHead(403).end('bad signature');
    if (!handler) return void res.writeHead(404).end();
    const reply = handler(params, path);
    const r = typeof reply === 'string' ? { body: reply } : reply;
    res.writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'text/xml' }).end(r.body);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const sig = String(req.headers['x-twilio-signature'] ?? '');
    const signatureValid = twilio.validateRequest(this.authToken, sig, `ws://127.0.0.1:${this.port}${req.url}`, {});
    const accepted = signatureValid && req.url === '/twilio/media';
    this.upgrades.push({ signatureValid, accepted });
    if (!accepted) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
  }

  private onSocket(ws: WebSocket): void {
    const messages: BridgeSocket['messages'] = [];
    const waiters: Array<{ event: string; resolve: (m: any) => void }> = [];
    const cursor = new Map<string, number>();
    const take = (event: string): any => {
      const from = cursor.get(event) ?? 0;
      const idx = messages.findIndex((m, i) => i >= from && m.msg.event === event);
      if (idx < 0) return undefined;
      cursor.set(event, idx + 1);
      return messages[idx]!.msg;
    };
    ws.on('message', (data) => {
      messages.push({ at: performance.now(), msg: parseOrRaw(data.toString()) });
      for (const w of [...waiters]) {
        const m = take(w.event);
        if (m !== undefined) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
      }
    });
    const next = (event: string, timeoutMs = 15_000): Promise<any> => {
      const m = take(event);
      if (m !== undefined) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`fake bridge: no ${event} in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ event, resolve: (v) => { clearTimeout(t); resolve(v); } });
      });
    };
    const s: BridgeSocket = { ws, messages, next };
    this.sockets.push(s);
    this.onStream(s);
  }
}

function parseOrRaw(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return { event: '#raw', text };
  }
}

/** `ms` of a μ-law "tone" (alternating loud codes) as bytes, easy to find in a recording. */
export function ulawTone(ms: number): Uint8Array {
  const out = new Uint8Array(ms * 8);
  for (let i = 0; i < out.length; i++) out[i] = i % 2 ? 0x80 : 0x00; // ±32124 in μ-law
  return out;
}

export function sendMedia(s: BridgeSocket, streamSid: string, ulaw: Uint8Array): void {
  s.ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.from(ulaw).toString('base64') } }));
}

export function sendMark(s: BridgeSocket, streamSid: string, name: string): void {
  s.ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name } }));
}

export function sendClear(s: BridgeSocket, streamSid: string): void {
  s.ws.send(JSON.stringify({ event: 'clear', streamSid }));
}

/** Mean absolute amplitude of `pcm` between two times (ms at 8 kHz). */
export function level(pcm: Int16Array, fromMs: number, toMs: number): number {
  const a = Math.max(0, Math.round(fromMs * 8));
  const b = Math.min(pcm.length, Math.round(toMs * 8));
  let sum = 0;
  for (let i = a; i < b; i++) sum += Math.abs(pcm[i]!);
  return b > a ? sum / (b - a) : 0;
}
