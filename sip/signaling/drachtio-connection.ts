import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { DialogRequestOptions, SipResponseLike, SrfLike } from './srf-types.js';

/**
 * The connection to drachtio-server (protocols.md §8.2). drachtio-srf does the
 * reconnecting itself (150 ms × 1.7 back-off, capped at `retryMaxDelayMs`)
 * once an `'error'` listener exists; this class owns that listener, tracks
 * readiness from `'connect'` / `'close'`, and never lets a socket error throw.
 */

export interface DrachtioConnectionOptions {
  host: string;
  port: number;
  secret: string;
  /** Cap for the reconnect back-off. */
  retryMaxDelayMs?: number;
  /** Ping the server so a dead TCP connection is noticed (ms, 5000–300000). */
  pingIntervalMs?: number;
  /** Injected for tests; defaults to a new drachtio `Srf`. */
  srf?: SrfLike;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export interface DrachtioConnectionEvents {
  ready: [hostport: string];
  lost: [];
  error: [err: Error];
}

const require = createRequire(import.meta.url);

type RawRequest = (uri: string, opts: DialogRequestOptions,
  cb: (err: unknown, req: { on(e: 'response', l: (res: SipResponseLike) => void): unknown }) => void) => unknown;

/** A real drachtio `Srf`, typed as the slice we use (see srf-types.ts). */
export function createSrf(): SrfLike {
  const Srf = require('drachtio-srf') as new () => { request: RawRequest };
  const srf = new Srf();
  // Srf#request calls back with the sent request; wait for its final response.
  const raw = srf.request.bind(srf);
  const request = (uri: string, opts: DialogRequestOptions): Promise<SipResponseLike> => new Promise((resolve, reject) => {
    raw(uri, opts, (err, req) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      req.on('response', (res) => { if (res.status >= 200) resolve(res); });
    });
  });
  return Object.assign(srf, { request }) as unknown as SrfLike;
}

/** Our SIP host:port for a transport from drachtio's `connect` hostport (`udp/1.2.3.4:5060,tls/1.2.3.4:5061`). */
export function sipHostFor(hostport: string, transport: string): string | undefined {
  const entries = hostport.split(',').map((e) => e.trim().split('/')).filter((p) => p.length === 2) as Array<[string, string]>;
  return (entries.find(([t]) => t === transport) ?? entries[0])?.[1];
}

export class DrachtioConnection extends EventEmitter<DrachtioConnectionEvents> {
  readonly srf: SrfLike;
  private isReady = false;
  private hostport = '';
  private started = false;

  constructor(private readonly opts: DrachtioConnectionOptions) {
    super();
    this.srf = opts.srf ?? createSrf();
  }

  /** True while authenticated to drachtio-server: drives `/readyz`. */
  get ready(): boolean {
    return this.isReady;
  }

  /** `host:port` of drachtio's SIP stack, once connected. */
  get sipAddress(): string {
    return this.hostport;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.srf.on('connect', this.onConnect);
    this.srf.on('close', this.onClose);
    this.srf.on('error', this.onError);
    this.srf.on('reconnecting', this.onReconnecting);
    const { host, port, secret } = this.opts;
    this.srf.connect({
      host, port, secret,
      reconnect: { retryMaxDelay: this.opts.retryMaxDelayMs ?? 10_000 },
      ...(this.opts.pingIntervalMs ? { enablePing: true, pingInterval: this.opts.pingIntervalMs } : {}),
    });
  }

  /** Resolves once ready; rejects after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        reject(new Error(`drachtio-server not reachable at ${this.opts.host}:${this.opts.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => { clearTimeout(timer); resolve(); };
      this.once('ready', onReady);
    });
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.setLost();
    try { this.srf.disconnect(); } catch { /* not connected yet */ }
  }

  private readonly onConnect = (err: Error | null, hostport?: string): void => {
    if (err) {
      // Wrong secret: the server refuses us; stay not-ready and say why.
      this.opts.log?.warn({ err: err.message }, 'drachtio-server refused the connection');
      if (this.listenerCount('error') > 0) this.emit('error', err);
      return;
    }
    this.isReady = true;
    this.hostport = hostport ?? '';
    this.opts.log?.info({ hostport }, 'connected to drachtio-server');
    this.emit('ready', this.hostport);
  };

  private readonly onClose = (): void => this.setLost();

  private readonly onError = (err: Error): void => {
    this.opts.log?.warn({ err: err.message }, 'drachtio connection error');
    this.setLost();
    if (this.listenerCount('error') > 0) this.emit('error', err);
  };

  private readonly onReconnecting = (info: { delay: number; attempt: number }): void => {
    this.opts.log?.info(info, 'reconnecting to drachtio-server');
  };

  private setLost(): void {
    if (!this.isReady) return;
    this.isReady = false;
    this.emit('lost');
  }
}
