/**
 * A minimal agent-protocol client for testing the reference agent over real
 * sockets: it connects with `ws`, collects every server event, and waits for them.
 * Deliberately naive (no bridge code) so the tests check the wire, not our client.
 */
import { WebSocket } from 'ws';

// Server events are JSON objects with a `type`; the tests read fields by name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerEvent = { type: string; [key: string]: any };

export interface ClientClose {
  code: number;
  reason: string;
}

export class AgentClient {
  readonly events: ServerEvent[] = [];
  readonly arrivals: number[] = [];
  readonly closed: Promise<ClientClose>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.events.push(JSON.parse(data.toString()) as ServerEvent);
      this.arrivals.push(performance.now());
      for (const l of this.listeners) l();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; rejects with `HTTP <status>` when the upgrade is refused. */
  static open(url: string): Promise<AgentClient> {
    const ws = new WebSocket(url);
    const client = new AgentClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** Opens, sends the initiation, and waits for the metadata (§4.2). */
  static async start(url: string, init: Record<string, unknown> = {}): Promise<AgentClient> {
    const client = await AgentClient.open(url);
    client.send({ type: 'conversation_initiation_client_data', ...init });
    await client.next('conversation_initiation_metadata');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendAudio(bytes: Uint8Array): void {
    this.send({ user_audio_chunk: Buffer.from(bytes).toString('base64') });
  }

  ofType(type: string): ServerEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Resolves once `predicate` holds over the events received so far. */
  until(predicate: (events: ServerEvent[]) => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.events)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out; got ${this.events.map((e) => e.type).join(',')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The first event of `type` that arrives after this call. */
  async next(type: string, timeoutMs = 15_000): Promise<ServerEvent> {
    return this.nth(type, this.ofType(type).length, timeoutMs);
  }

  /** The event of `type` at `index` (0 = first ever), waiting for it if needed. */
  async nth(type: string, index: number, timeoutMs = 15_000): Promise<ServerEvent> {
    await this.until(() => this.ofType(type).length > index, timeoutMs);
    return this.ofType(type)[index]!;
  }

  /** Answers every ping with the documented pong shape (§4.3). */
  autoPong(): void {
    this.listeners.add(() => {
      const last = this.events[this.events.length - 1]!;
      if (last.type === 'ping') this.send({ type: 'pong', event_id: last.ping_event.event_id });
    });
  }

  /** Decoded bytes of every audio event, in order of arrival. */
  audioBytes(filter: (e: ServerEvent) => boolean = () => true): Buffer[] {
    return this.ofType('audio')
      .filter(filter)
      .map((e) => Buffer.from(e.audio_event.audio_base_64 as string, 'base64'));
  }
}
