/**
 * The slice of drachtio-srf this package uses, typed as the code really behaves
 * (protocols.md §8.2–8.11), not as its shipped `.d.ts` claims:
 *  - `connect()` returns nothing; readiness comes from the `'connect'` event.
 *  - `cbRequest` is called as `(err, req)`.
 *  - dialog shortcut methods (`refer()`, `info()`) are unbound: use `request()`.
 * The real `Srf` satisfies these interfaces through one cast in
 * `drachtio-connection.ts`; the test fake implements them directly.
 */

export type SipHeaders = Record<string, string>;

/** Listener type for untyped EventEmitter methods (drachtio emits varied argument lists). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyListener = (...args: any[]) => void;

/** Header access shared by requests and responses. */
export interface SipMessageLike {
  get(name: string): string | undefined;
  has(name: string): boolean;
  body: string;
}

export interface SipRequestLike extends SipMessageLike {
  method: string;
  uri: string;
  callingNumber?: string;
  calledNumber?: string;
  source_address: string;
  source_port: number | string;
  protocol: string;
  /** CANCEL received for this INVITE (RFC 3261 §9.2). */
  on(event: 'cancel', listener: () => void): unknown;
  on(event: 'response', listener: (res: SipResponseLike) => void): unknown;
}

/** An outgoing INVITE we sent (createUAC `cbRequest`): it can be CANCELled. */
export interface SentRequestLike extends SipMessageLike {
  cancel(opts?: { headers?: SipHeaders }, cb?: (err: unknown) => void): void;
}

export interface SipResponseLike extends SipMessageLike {
  status: number;
  reason: string;
}

/** The server transaction of an incoming request. */
export interface SipServerResponse {
  finalResponseSent?: boolean;
  send(status: number, reason?: string | SendOptions, opts?: SendOptions, cb?: (err: unknown) => void): void;
}

export interface SendOptions {
  headers?: SipHeaders;
  body?: string;
}

export interface DialogRequestOptions {
  method: string;
  headers?: SipHeaders;
  body?: string;
  auth?: { username: string; password: string };
}

/** A confirmed dialog (lib/dialog.js). */
export interface SipDialog {
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string };
  remote: { uri: string; sdp: string };
  destroy(opts?: { headers?: SipHeaders }): Promise<unknown>;
  modify(sdp: string, opts?: { headers?: SipHeaders }): Promise<string>;
  request(opts: DialogRequestOptions): Promise<SipResponseLike>;
  on(event: 'destroy', listener: (bye: SipRequestLike, reason?: string) => void): unknown;
  on(event: 'ack', listener: (ack: SipRequestLike) => void): unknown;
  on(event: 'modify' | 'info' | 'notify' | 'refer' | 'options',
    listener: (req: SipRequestLike, res: SipServerResponse) => void): unknown;
  removeListener(event: string, listener: AnyListener): unknown;
}

export interface CreateUacOptions {
  localSdp?: string;
  headers?: SipHeaders;
  auth?: { username: string; password: string };
  proxy?: string;
}

export interface UacProgress {
  cbRequest?: (err: unknown, req: SentRequestLike) => void;
  cbProvisional?: (res: SipResponseLike) => void;
}

export type RequestHandler = (req: SipRequestLike, res: SipServerResponse, next?: () => void) => void;

/** The `Srf` surface: connection, request routing and dialog creation. */
export interface SrfLike {
  connect(opts: DrachtioConnectOptions): void;
  disconnect(): void;
  on(event: string, listener: AnyListener): unknown;
  removeListener(event: string, listener: AnyListener): unknown;
  invite(handler: RequestHandler): void;
  options(handler: RequestHandler): void;
  createUAS(req: SipRequestLike, res: SipServerResponse,
    opts: { localSdp: string; headers?: SipHeaders }): Promise<SipDialog>;
  createUAC(uri: string, opts: CreateUacOptions, progress?: UacProgress): Promise<SipDialog>;
  /**
   * An out-of-dialog request (REGISTER), resolved with its FINAL response;
   * drachtio-srf answers a 401/407 itself when `auth` is given. The real Srf
   * resolves with the sent request instead: `drachtio-connection.ts` adapts it.
   */
  request(uri: string, opts: DialogRequestOptions): Promise<SipResponseLike>;
}

export interface DrachtioConnectOptions {
  host: string;
  port: number;
  secret: string;
  reconnect?: { retryMaxDelay?: number; maxAttempts?: number };
  enablePing?: boolean;
  pingInterval?: number;
}

/** The `SipError` drachtio rejects with (lib/sip_error.js). */
export function sipStatusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number') return err.status;
  return undefined;
}
