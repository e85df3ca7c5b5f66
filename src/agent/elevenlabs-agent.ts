import WebSocket from 'ws';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { wsText } from '../ws-text.js';
import type { AgentLink, AgentLinkHandler } from './agent-link.js';
import { agentApiPool, fetchSignedUrl } from './signed-url.js';
import { preconnect } from './socket-preconnect.js';
import { encodeAgent, parseAgentMessage, type AgentEvent, type ConversationInit } from './elevenlabs-protocol.js';

export interface ElevenLabsConnectOptions {
  apiUrl: string;
  apiKey?: string;
  agentId: string;
  /**
   * May still be pending (the personalization webhook): the socket opens in
   * parallel and the init data is sent as soon as both are ready.
   */
  init: ConversationInit | Promise<ConversationInit>;
  timeoutMs: number;
  signal: AbortSignal;
  log: Logger;
  /** A signed URL fetched ahead (at the voice webhook); on failure a new one is fetched. */
  prefetchedUrl?: Promise<string>;
  /** Idle keep-alive of the pooled HTTPS connections to the API (signed-URL requests). */
  httpKeepAliveMs?: number;
}

/** Caller audio beyond this much unsent data is dropped: a stalled agent must not grow memory without bound. */
const MAX_BUFFERED_BYTES = 512 * 1024;

/**
 * Opens an ElevenLabs Conversational AI conversation: signed URL when an API
 * key is set (private agents, §4.1), the public URL otherwise; sends
 * `conversation_initiation_client_data` on open; resolves once
 * `conversation_initiation_metadata` has told us the audio formats.
 */
export async function connectElevenLabsAgent(opts: ElevenLabsConnectOptions): Promise<AgentLink> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  // With a signed URL to fetch first, set up the socket's connection meanwhile (see socket-preconnect.ts).
  const early = opts.apiKey ? preconnect(opts.apiUrl) : undefined;
  let url: string;
  try {
    url = await conversationUrl(opts, signal);
  } catch (err) {
    early?.discard();
    throw err;
  }
  const socket = early?.socketFor(url);
  const ws = new WebSocket(url, {
    perMessageDeflate: false, maxPayload: 16 * 1024 * 1024, handshakeTimeout: opts.timeoutMs,
    ...(socket ? { createConnection: () => socket } : {}),
  });
  let sent: ConversationInit | undefined;
  return new Promise<AgentLink>((resolve, reject) => {
    const fail = (err: Error): void => {
      signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState !== WebSocket.CLOSING) ws.terminate();
      reject(err);
    };
    const onAbort = (): void => {
      const timedOut = signal.reason?.name === 'TimeoutError';
      // The call no longer needs it (e.g. the caller hung up while it rang): an open socket is closed
      // normally (RFC 6455 §7.4.1 1000), not cut, so the agent side sees a clean end.
      if (!timedOut && ws.readyState === WebSocket.OPEN) closeNormally(ws);
      fail(new BridgeError('agent-connect-aborted', `agent connection ${timedOut ? 'timed out' : 'aborted'}`, 504));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      Promise.resolve(opts.init).then(
        (init) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          sent = init;
          ws.send(encodeAgent.init(init));
        },
        (err: Error) => fail(new BridgeError('agent-init', `init data failed: ${err.message}`, 502)),
      );
    });
    ws.once('error', (err) => fail(new BridgeError('agent-connect-failed', `agent socket error: ${err.message}`, 502)));
    ws.once('close', (code, reason) => fail(new BridgeError('agent-closed', `agent closed before metadata (${code} ${reason})`, 502)));
    ws.once('message', (data) => {
      const parsed = parseAgentMessage(wsText(data));
      if (!parsed.ok || parsed.event.type !== 'metadata') {
        return fail(new BridgeError('agent-protocol', 'first agent message was not conversation_initiation_metadata', 502));
      }
      signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners();
      resolve(new ElevenLabsAgentLink(ws, parsed.event, opts.log, sent));
    });
  });
}

/** Close with 1000 and a deadline: a peer that never answers the close frame is cut after 1 s. */
function closeNormally(ws: WebSocket): void {
  ws.close(1000, 'call ended before the conversation started');
  setTimeout(() => ws.terminate(), 1000).unref();
}

async function conversationUrl(opts: ElevenLabsConnectOptions, signal: AbortSignal): Promise<string> {
  if (!opts.apiKey) return `${opts.apiUrl.replace(/^http/, 'ws')}/v1/convai/conversation?agent_id=${encodeURIComponent(opts.agentId)}`;
  if (opts.prefetchedUrl) {
    try {
      return await untilAborted(opts.prefetchedUrl, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      opts.log.info({ err: (err as Error).message }, 'prefetched signed URL unusable; fetching a new one');
    }
  }
  return fetchSignedUrl({ apiUrl: opts.apiUrl, apiKey: opts.apiKey, agentId: opts.agentId, signal }, agentApiPool(opts.httpKeepAliveMs ?? DEFAULT_KEEPALIVE_MS));
}

const DEFAULT_KEEPALIVE_MS = 60_000;

/** `promise`, or a rejection as soon as `signal` aborts (the connect timeout covers a slow prefetch too). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Exported for bench/bridge-path.ts, which drives it over a socket double. */
export class ElevenLabsAgentLink implements AgentLink {
  readonly conversationId: string;
  readonly inputFormat: string;
  readonly outputFormat: string;
  private handler: AgentLinkHandler | undefined;
  /** Events that arrive between metadata and attach (same TCP read) wait here. */
  private early: AgentEvent[] | undefined = [];
  private closed: { code: number; reason: string } | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket, meta: Extract<AgentEvent, { type: 'metadata' }>, private readonly log: Logger,
    readonly clientData?: ConversationInit,
  ) {
    this.conversationId = meta.conversationId;
    this.inputFormat = meta.inputFormat;
    this.outputFormat = meta.outputFormat;
    ws.on('message', (data) => this.onMessage(wsText(data)));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', (err) => log.warn({ err: err.message }, 'agent socket error'));
  }

  attach(handler: AgentLinkHandler): void {
    this.handler = handler;
    const early = this.early ?? [];
    this.early = undefined;
    for (const e of early) handler.onEvent(e);
    if (this.closed) handler.onClosed(this.closed.code, this.closed.reason);
  }

  sendAudio(base64: string): boolean {
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    return this.send(encodeAgent.userAudio(base64));
  }

  sendPong(eventId: number): void {
    this.send(encodeAgent.pong(eventId));
  }

  sendToolResult(toolCallId: string, result: string, isError: boolean): void {
    this.send(encodeAgent.toolResult(toolCallId, result, isError));
  }

  sendContextualUpdate(text: string): void {
    this.send(encodeAgent.contextualUpdate(text));
  }

  sendUserMessage(text: string): void {
    this.send(encodeAgent.userMessage(text));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the socket open.
    this.closeTimer ??= setTimeout(() => this.ws.terminate(), 2000);
  }

  private send(text: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  private onMessage(raw: string): void {
    const parsed = parseAgentMessage(raw);
    if (!parsed.ok) {
      this.log.debug({ detail: parsed.detail }, 'ignored malformed agent message');
      return;
    }
    if (this.early) this.early.push(parsed.event);
    else this.handler?.onEvent(parsed.event);
  }

  private onClose(code: number, reason: string): void {
    clearTimeout(this.closeTimer);
    this.closed = { code, reason };
    this.handler?.onClosed(code, reason);
  }
}
