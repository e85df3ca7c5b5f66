import { EventEmitter } from 'node:events';
import { digestResponse, parseDigestHeader } from '../../sip/signaling/digest.js';
import type {
  CreateUacOptions, DialogRequestOptions, DrachtioConnectOptions, RequestHandler, SendOptions, SentRequestLike,
  SipDialog, SipHeaders, SipRequestLike, SipResponseLike, SipServerResponse, SrfLike, UacProgress,
} from '../../sip/signaling/srf-types.js';

/**
 * A fake drachtio `Srf`, only at the signaling boundary: it hands the app
 * INVITEs shaped like drachtio's (headers, body, source address, CANCEL
 * event), answers createUAC as a scripted far end would, and records every
 * response and in-dialog request the app sends.
 */

export class SipError extends Error {
  constructor(readonly status: number, readonly reason = '') { super(`Sip non-success response: ${status}`); }
}

function headerMap(h: SipHeaders): Map<string, string> {
  return new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

export class FakeRequest extends EventEmitter implements SipRequestLike {
  readonly headers: Map<string, string>;
  constructor(readonly method: string, readonly uri: string, headers: SipHeaders, public body: string,
    readonly source_address = '203.0.113.5', readonly source_port = 5060, readonly protocol = 'udp') {
    super();
    this.headers = headerMap(headers);
  }
  get(name: string): string | undefined { return this.headers.get(name.toLowerCase()); }
  has(name: string): boolean { return this.headers.has(name.toLowerCase()); }
  get calledNumber(): string { return /sip:([^@]+)@/.exec(this.uri)?.[1] ?? ''; }
  get callingNumber(): string { return /sip:([^@]+)@/.exec(this.get('From') ?? '')?.[1] ?? ''; }
}

export interface SentResponse { status: number; reason?: string; headers: SipHeaders; body?: string }

export class FakeResponse implements SipServerResponse {
  readonly sent: SentResponse[] = [];
  finalResponseSent = false;
  send(status: number, reason?: string | SendOptions, opts?: SendOptions): void {
    const o = typeof reason === 'object' ? reason : opts;
    this.sent.push({ status, reason: typeof reason === 'string' ? reason : undefined, headers: o?.headers ?? {}, body: o?.body });
    if (status >= 200) this.finalResponseSent = true;
  }
  get last(): SentResponse | undefined { return this.sent.at(-1); }
}

let seq = 0;

/** The in-dialog side: what the app sends is recorded, what the peer sends is injected. */
export class FakeDialog extends EventEmitter implements SipDialog {
  sip = { callId: '', localTag: `l${++seq}`, remoteTag: `r${seq}` };
  local = { uri: '', sdp: '' };
  remote = { uri: '', sdp: '' };
  readonly requests: DialogRequestOptions[] = [];
  destroyed = false;
  /** How the peer answers our in-dialog requests (REFER, INFO, …). */
  respond: (req: DialogRequestOptions) => SipResponseLike = () => response(200, 'OK');

  async destroy(): Promise<unknown> {
    this.destroyed = true;
    this.requests.push({ method: 'BYE' });
    return undefined;
  }
  async modify(sdp: string): Promise<string> { this.requests.push({ method: 'INVITE', body: sdp }); return this.remote.sdp; }
  async request(opts: DialogRequestOptions): Promise<SipResponseLike> {
    this.requests.push(opts);
    return this.respond(opts);
  }
  /** The peer's ACK to our 200. */
  ack(): void { this.emit('ack', new FakeRequest('ACK', this.local.uri, {}, '')); }
  /** The peer hangs up: drachtio answered 200 already. */
  remoteBye(): void { this.emit('destroy', new FakeRequest('BYE', this.local.uri, {}, ''), 'normal release'); }
  /** An in-dialog request from the peer; resolves with the app's answer. */
  incoming(method: string, headers: SipHeaders, body = ''): FakeResponse {
    const res = new FakeResponse();
    const event = method === 'INVITE' ? 'modify' : method.toLowerCase();
    this.emit(event, new FakeRequest(method, this.local.uri, headers, body), res);
    return res;
  }
}

export function response(status: number, reason: string, headers: SipHeaders = {}, body = ''): SipResponseLike {
  const h = headerMap(headers);
  return { status, reason, body, get: (n) => h.get(n.toLowerCase()), has: (n) => h.has(n.toLowerCase()) };
}

/** One outbound INVITE as the scripted far end sees it. */
export class FakeUac {
  readonly invite: SentRequestLike & { canceled: boolean };
  private settle!: { resolve: (d: SipDialog) => void; reject: (e: unknown) => void };
  final = false;
  readonly done: Promise<SipDialog>;
  constructor(readonly uri: string, readonly opts: CreateUacOptions, readonly progress: UacProgress) {
    this.done = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    const h = headerMap(opts.headers ?? {});
    const self = this;
    this.invite = {
      canceled: false, body: opts.localSdp ?? '',
      get: (n) => h.get(n.toLowerCase()), has: (n) => h.has(n.toLowerCase()),
      cancel() { this.canceled = true; if (!self.final) self.reject(487, 'Request Terminated'); },
    };
    queueMicrotask(() => progress.cbRequest?.(null, this.invite));
  }
  provisional(status: number, body = ''): void { this.progress.cbProvisional?.(response(status, 'Ringing', {}, body)); }
  answer(sdp: string): FakeDialog {
    const d = new FakeDialog();
    d.sip.callId = `out-${seq}`;
    d.local = { uri: 'sip:bridge@127.0.0.1', sdp: this.opts.localSdp ?? '' };
    d.remote = { uri: this.uri, sdp };
    this.final = true;
    this.settle.resolve(d);
    return d;
  }
  reject(status: number, reason: string): void {
    this.final = true;
    this.settle.reject(new SipError(status, reason));
  }
}

/** An out-of-dialog request (REGISTER) as the scripted far end sees it. */
export interface OutOfDialogRequest { uri: string; method: string; headers: SipHeaders; authorization?: string }

/**
 * drachtio-srf's own 401/407 handling (lib/drachtio-agent.js, DigestClient):
 * one retry with an `Authorization` answering the challenge (RFC 2617, qop=auth).
 */
function authorizationFor(challenge: string, req: OutOfDialogRequest, auth: { username: string; password: string }): string {
  const c = parseDigestHeader(challenge) ?? {};
  const qop = c.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const base = { username: auth.username, realm: c.realm ?? '', nonce: c.nonce ?? '', uri: req.uri, method: req.method };
  const extra = qop ? { qop, nc: '00000001', cnonce: 'fakecnonce' } : {};
  const response = digestResponse({ ...base, ...extra, password: auth.password });
  const fields = { ...base, response, algorithm: 'MD5', ...(c.opaque ? { opaque: c.opaque } : {}), ...extra };
  return 'Digest ' + Object.entries(fields).filter(([k]) => k !== 'method')
    .map(([k, v]) => (k === 'nc' || k === 'qop' || k === 'algorithm' ? `${k}=${v}` : `${k}="${v}"`)).join(', ');
}

export class FakeSrf extends EventEmitter implements SrfLike {
  connectedWith?: DrachtioConnectOptions;
  disconnected = false;
  inviteHandler?: RequestHandler;
  optionsHandler?: RequestHandler;
  readonly uacs: FakeUac[] = [];
  readonly uasDialogs: FakeDialog[] = [];
  /** Called for every createUAC: script the far end here. */
  onUac: (uac: FakeUac) => void = () => undefined;
  /** Every out-of-dialog request sent (after drachtio's digest retry: both attempts). */
  readonly requests: OutOfDialogRequest[] = [];
  /** The far end of out-of-dialog requests (a registrar): script it here. */
  onRequest: (req: OutOfDialogRequest) => SipResponseLike | Promise<SipResponseLike> = () => response(501, 'Not Implemented');

  async request(uri: string, opts: DialogRequestOptions): Promise<SipResponseLike> {
    const first: OutOfDialogRequest = { uri, method: opts.method, headers: { ...(opts.headers ?? {}) } };
    this.requests.push(first);
    const res = await this.onRequest(first);
    const challenge = res.status === 401 ? res.get('WWW-Authenticate') : res.status === 407 ? res.get('Proxy-Authenticate') : undefined;
    if (!challenge || !opts.auth) return res;
    const authorization = authorizationFor(challenge, first, opts.auth);
    const header = res.status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const retry: OutOfDialogRequest = { ...first, headers: { ...first.headers, [header]: authorization }, authorization };
    this.requests.push(retry);
    return this.onRequest(retry);
  }

  connect(opts: DrachtioConnectOptions): void { this.connectedWith = opts; }
  disconnect(): void { this.disconnected = true; }
  invite(handler: RequestHandler): void { this.inviteHandler = handler; }
  options(handler: RequestHandler): void { this.optionsHandler = handler; }

  async createUAS(req: SipRequestLike, res: SipServerResponse, opts: { localSdp: string; headers?: SipHeaders }): Promise<SipDialog> {
    if ((req as FakeRequest).listenerCount('cancel') > 0 && (req as unknown as { canceled?: boolean }).canceled) {
      throw new SipError(487, 'Request Terminated');
    }
    res.send(200, { headers: opts.headers, body: opts.localSdp });
    const d = new FakeDialog();
    d.sip.callId = req.get('Call-ID') ?? '';
    d.local = { uri: req.uri, sdp: opts.localSdp };
    d.remote = { uri: req.get('Contact') ?? '', sdp: req.body };
    this.uasDialogs.push(d);
    return d;
  }

  async createUAC(uri: string, opts: CreateUacOptions, progress: UacProgress = {}): Promise<SipDialog> {
    const uac = new FakeUac(uri, opts, progress);
    this.uacs.push(uac);
    queueMicrotask(() => this.onUac(uac));
    return uac.done;
  }

  /** A new INVITE from the network, as drachtio hands it over. */
  receiveInvite(req: FakeRequest): FakeResponse {
    const res = new FakeResponse();
    this.inviteHandler?.(req, res);
    return res;
  }

  /** CANCEL for a pending INVITE: drachtio answers 487 itself and emits 'cancel'. */
  cancel(req: FakeRequest): void {
    (req as unknown as { canceled: boolean }).canceled = true;
    req.emit('cancel');
  }
}

export function sdpOffer(opts: { port?: number; address?: string; pts?: string; direction?: string; version?: number } = {}): string {
  const addr = opts.address ?? '198.51.100.7';
  const pts = opts.pts ?? '0 8 101';
  const lines = ['v=0', `o=- 1000 ${opts.version ?? 1000} IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0',
    `m=audio ${opts.port ?? 40000} RTP/AVP ${pts}`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', `a=${opts.direction ?? 'sendrecv'}`];
  return lines.join('\r\n') + '\r\n';
}

export function inviteFrom(opts: { to?: string; from?: string; source?: string; sdp?: string; callId?: string; headers?: SipHeaders } = {}): FakeRequest {
  const to = opts.to ?? '+15550001000';
  const headers: SipHeaders = {
    From: `"Alice" <sip:${opts.from ?? '+15551234567'}@trunk.example.com>;tag=abc123`,
    To: `<sip:${to}@bridge.example.com>`,
    'Call-ID': opts.callId ?? `call-${++seq}@trunk.example.com`,
    CSeq: '1 INVITE',
    Contact: '<sip:+15551234567@203.0.113.5:5060>',
    'Content-Type': 'application/sdp',
    ...(opts.headers ?? {}),
  };
  return new FakeRequest('INVITE', `sip:${to}@bridge.example.com`, headers, opts.sdp ?? sdpOffer(), opts.source ?? '203.0.113.5');
}
