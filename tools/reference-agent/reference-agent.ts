/**
 * A local stand-in for the ElevenLabs Conversational AI agent service
 * (protocols.md §4): `get-signed-url` and `GET /v1/convai/conversations/{id}`
 * (conversations-api.ts) over HTTP and the agent WebSocket, on one
 * `node:http` server with a `noServer` ws server. Used for the offline demo and by
 * the bridge's end-to-end tests and benchmark. Shares no code with src/.
 */
import { EventEmitter } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { Conversation } from './conversation.js';
import { seededRandom } from './chunks.js';
import { ConversationsApi } from './conversations-api.js';
import { isAgentAudioFormat } from './formats.js';
import { Gatekeeper } from './gatekeeper.js';
import { ConversationSigner } from './signing.js';
import { TimerBag } from './timers.js';
import type { ReferenceAgentConfig, ReferenceAgentOptions } from './types.js';
import { serverEvent } from './wire.js';

// The public API in one import.
export { Conversation, type InterruptOptions } from './conversation.js';
export type { SentEvent, TranscriptTurn, Violation } from './conversation-core.js';
export type { ConversationsApiOptions } from './conversations-api.js';
export { AGENT_AUDIO_FORMATS, type AgentAudioFormat } from './formats.js';
export type { PingRecord, PongRecord } from './pinger.js';
export type { UserAudioChunk } from './recorder.js';
export type { ClientToolResult } from './tool-calls.js';
export type * from './types.js';
export type { InitiationData } from './wire.js';

export interface HttpRequestRecord {
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface Rejection {
  at: number;
  path: string;
  message: string;
  via: 'close' | 'http';
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const CLOSE_DEADLINE_MS = 1000;

export interface ReferenceAgent {
  on(event: 'conversation', listener: (conversation: Conversation) => void): this;
  once(event: 'conversation', listener: (conversation: Conversation) => void): this;
}

export class ReferenceAgent extends EventEmitter {
  /** HTTP base, e.g. `http://127.0.0.1:8765`; clients derive `ws://` from it. */
  readonly url: string;
  readonly port: number;
  readonly conversations: Conversation[] = [];
  readonly httpRequests: HttpRequestRecord[] = [];
  readonly rejections: Rejection[] = [];
  /** The conversation history endpoint; set `conversationsApi.options` to change its timing or faults. */
  readonly conversationsApi: ConversationsApi;
  private readonly sockets = new Set<WebSocket>();
  private readonly conversationSockets = new WeakSet<WebSocket>();
  private readonly timers = new TimerBag();
  private readonly wss: WebSocketServer;
  private closing: Promise<void> | undefined;
  /** Under `networkDelay`: when each connection's set-up (TCP, TLS) completes, performance.now() ms. */
  private readonly connectionReadyAt = new WeakMap<Socket, number>();

  constructor(
    private readonly server: Server,
    private readonly gate: Gatekeeper,
    private readonly options: ReferenceAgentOptions,
  ) {
    super();
    const { port } = server.address() as AddressInfo;
    this.port = port;
    this.url = `http://${formatHost(options.host ?? '127.0.0.1')}:${port}`;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD });
    this.conversationsApi = new ConversationsApi({
      find: (id) => this.conversations.find((c) => c.conversationId === id),
      keyAccepted: (c, given) => gate.keyAccepted(c?.agent, given),
    }, options.conversations);
    const delay = options.networkDelay;
    if (delay) {
      server.keepAliveTimeout = 120_000;
      server.on('connection', (socket: Socket) => this.connectionReadyAt.set(socket, performance.now() + delay.rttMs * (delay.connectRtts ?? 2)));
    }
    server.on('request', (req, res) => {
      const at = performance.now(); // when the request reached this server (before any simulated delay)
      this.afterRoundTrips(req.socket, 1, () => this.onRequest(req, res, at));
    });
    server.on('upgrade', (req, socket, head) => this.afterRoundTrips(socket as Socket, 1, () => this.onUpgrade(req, socket as Socket, head)));
  }

  /** WebSockets open right now (conversations and sockets being rejected). */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** The next conversation to start (already-started ones do not count). */
  nextConversation(timeoutMs = 10_000): Promise<Conversation> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('conversation', onConversation);
        reject(new Error(`no conversation within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConversation = (c: Conversation) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.once('conversation', onConversation);
    });
  }

  /** Closes every conversation (1001), stops listening; leaves no timer or socket. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const open = this.conversations.filter((c) => !c.closeInfo);
    for (const c of open) c.close(1001, 'server shutting down');
    for (const ws of this.sockets) if (!this.conversationSockets.has(ws)) ws.terminate();
    await Promise.all(open.map((c) => c.closed));
    this.server.closeAllConnections(); // idle keep-alive HTTP sockets
    await stopped;
    this.wss.close();
    this.timers.dispose();
  }

  /** Runs `fn` now, or after the simulated network's round trips (see ReferenceAgentOptions.networkDelay). */
  private afterRoundTrips(socket: Socket, trips: number, fn: () => void): void {
    const delay = this.options.networkDelay;
    if (!delay) return fn();
    // A request can only have been sent once the connection was set up; its answer comes one round trip later.
    const sentAt = Math.max(performance.now(), this.connectionReadyAt.get(socket) ?? 0);
    this.timers.after(sentAt + delay.rttMs * trips - performance.now(), () => {
      if (!socket.destroyed) fn();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, at: number): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const wsBase = `ws://${req.headers.host ?? `${formatHost(this.options.host ?? '127.0.0.1')}:${this.port}`}`;
    const method = req.method ?? 'GET';
    const answer = this.conversationsApi.handles(url.pathname)
      ? this.conversationsApi.answer(method, url, req.headers)
      : this.gate.http(method, url, req.headers, wsBase);
    // A hung request is recorded with status 0; the socket stays open until the client gives up or close().
    this.httpRequests.push({ method, path: url.pathname, status: 'hang' in answer ? 0 : answer.status, at });
    if ('hang' in answer) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy()); // a client resetting mid-handshake must not crash us
    const url = new URL(req.url ?? '/', 'http://localhost');
    const admission = this.closing ? { ok: false as const, httpStatus: 404 as const, message: 'shutting down' } : this.gate.admit(url);
    if (!admission.ok && (url.pathname !== '/v1/convai/conversation' || this.options.rejectWith === 'http' || this.closing)) {
      this.rejections.push({ at: performance.now(), path: url.pathname, message: admission.message, via: 'http' });
      return rejectUpgrade(socket, admission.httpStatus, admission.message);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.once('close', () => this.sockets.delete(ws));
      if (admission.ok) this.startConversation(ws, admission.agent);
      else this.rejectByClose(ws, url.pathname, admission.message);
    });
  }

  private startConversation(ws: WebSocket, agent: ReferenceAgentConfig): void {
    const random = seededRandom((this.options.seed ?? 1) + this.conversations.length);
    const conversation = new Conversation(ws, agent, random);
    this.conversationSockets.add(ws);
    this.conversations.push(conversation);
    this.emit('conversation', conversation);
  }

  /** §4.8: auth and contract errors close with 1008 (2026: after an `error` event). */
  private rejectByClose(ws: WebSocket, path: string, message: string): void {
    this.rejections.push({ at: performance.now(), path, message, via: 'close' });
    ws.on('error', () => {});
    ws.send(serverEvent.error(1008, message));
    ws.close(1008, message.slice(0, 120));
    const deadline = this.timers.after(CLOSE_DEADLINE_MS, () => ws.terminate());
    ws.once('close', () => this.timers.cancel(deadline));
  }
}

export async function startReferenceAgent(options: ReferenceAgentOptions): Promise<ReferenceAgent> {
  const agents = indexAgents(options.agents);
  const signer = new ConversationSigner(options.signedUrlTtlMs);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new ReferenceAgent(server, new Gatekeeper(agents, signer, options.apiKey), options);
}

/** Checks the agent list once, at start, listing every problem together. */
function indexAgents(list: ReferenceAgentConfig[]): Map<string, ReferenceAgentConfig> {
  const problems: string[] = [];
  const agents = new Map<string, ReferenceAgentConfig>();
  for (const a of list) {
    if (!a.agentId) problems.push('an agent has an empty agentId');
    if (agents.has(a.agentId)) problems.push(`agent ${a.agentId} is listed twice`);
    for (const f of [a.inputFormat, a.outputFormat]) {
      if (f !== undefined && !isAgentAudioFormat(f)) problems.push(`agent ${a.agentId}: unknown audio format ${String(f)}`);
    }
    agents.set(a.agentId, a);
  }
  if (problems.length) throw new Error(`reference agent config: ${problems.join('; ')}`);
  return agents;
}

function rejectUpgrade(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ detail: { status: STATUS_CODES[status], message } });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const formatHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
