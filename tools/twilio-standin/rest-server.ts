/**
 * A local Twilio REST API for tests and offline runs: the subset of the Calls resource the
 * bridge uses (create, update, fetch), with HTTP Basic auth, Twilio's wire names and JSON
 * shapes, signed webhooks, and simulated far ends. The bridge's official twilio client reaches
 * it through `TWILIO_API_URL` (src/twilio/rest-client.ts); no patching.
 *
 *   const standin = await startTwilioStandin({ accountSid, authToken, farEnds });
 *   const client = createTwilioRestClient({ accountSid, authToken, apiUrl: standin.url });
 *   await client.calls.create({ to, from, url, statusCallback, statusCallbackEvent: [...] });
 *
 * Calls created here run their TwiML on TwilioCall (so `<Connect><Stream>` opens a real Media
 * Stream to the bridge, `<Dial>` rings the far ends, whispers run on the operator's leg).
 * Inbound calls placed with `standin.placeInboundCall()` are registered too, so the bridge can
 * redirect or end them with `calls(sid).update()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { AdoptedCall } from './adopted-call.js';
import type { CallStatus } from './call-params.js';
import { simulateInboundCall, type InboundCallOptions, type SimulatedCall } from './call-simulator.js';
import type { DialCallStatus } from './dial-runner.js';
import type { FarEnds } from './far-end.js';
import { monotonicNow } from './frame-clock.js';
import { newSid } from './ids.js';
import { FINAL_STATUSES, OutboundCall, type StandinCall } from './outbound-call.js';
import { basicAuth, callResource, parseCreateCall, parseUpdateCall, readForm, route, twilioError, type TwilioError } from './rest-routes.js';
import type { TwilioCall } from './twilio-call.js';
import type { SignatureMode } from './webhook-signer.js';

export interface TwilioStandinOptions {
  /** Default: a fresh AC… SID. */
  accountSid?: string;
  /** Default: random. */
  authToken?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Who answers each number, for REST calls and <Dial> legs (default: a person who answers after 100 ms). */
  farEnds?: FarEnds;
  /**
   * Scales waits that come from Twilio parameters: REST Timeout, <Dial timeout>, <Gather timeout>,
   * TimeLimit/timeLimit, MachineDetectionTimeout/SpeechThreshold (default 1 = real time).
   */
  timeScale?: number;
  /** Scales Say/Play/Pause playing time (default 0: they take no time; 1: real duration). */
  verbTimeScale?: number;
  /** How webhooks are signed (default 'valid'). */
  signature?: SignatureMode;
  /** DialCallStatus when a <Number url> whisper declines (default 'no-answer'). */
  whisperDeclineStatus?: DialCallStatus;
  /**
   * Twilio does not order a call's status callbacks against the answer to the
   * REST create that made it (§3.2): either may reach the client first. These
   * two hooks let a test fix one order. `holdCallbacks`: a REST-created call's
   * callbacks wait until the promise settles (e.g. until the client has
   * recorded the CallSid from the create answer). `holdCreateAnswer`: the
   * create answer waits (e.g. until `call.done`, every callback delivered).
   * Using both on one call with each waiting on the other deadlocks it.
   */
  holdCallbacks?: (call: StandinCall) => Promise<unknown>;
  holdCreateAnswer?: (call: StandinCall) => Promise<unknown>;
}

/**
 * A fault for the next REST create (POST …/Calls.json), for retry tests:
 * an HTTP error in Twilio's JSON shape (`{ code, message, more_info, status }`,
 * e.g. 429 / 20429 Too Many Requests, 503 / 20503 Service Unavailable), or the
 * connection reset with no answer (the client sees ECONNRESET). No call is
 * created either way, unless `afterCreate`: then the call is made and goes
 * on, and only its answer is replaced by the fault (the case a client cannot
 * tell from the first: Twilio failed or the connection broke after the work).
 */
export type RestFault = ({ status: 429 | 500 | 502 | 503 | 504 } | { reset: true }) & { afterCreate?: boolean };

/** A REST answer; `created` is the call a create made (its answer may be held). */
interface Answer {
  status: number;
  body: object;
  created?: StandinCall;
}

const FAULT_MESSAGES: Record<number, string> = { 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export interface RestRequestRecord {
  atMs: number;
  method: string;
  path: string;
  status: number;
  params: Record<string, string[]>;
}

export interface TwilioStandin {
  /** Base URL for TWILIO_API_URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Every call the stand-in knows, by CallSid: REST-created (OutboundCall) and adopted (inbound). */
  readonly calls: Map<string, StandinCall>;
  /** Every REST request, in order (no credentials). */
  readonly requests: RestRequestRecord[];
  /** Most REST-created calls seen in-progress at the same time. */
  readonly maxConcurrent: number;
  /** Most REST-created calls seen alive (queued, ringing or in-progress) at the same time. */
  readonly maxActive: number;
  /** REST-created calls now in-progress. */
  readonly inProgress: number;
  /** How many calls were created through REST to `to` (all destinations when omitted). */
  createdCount(to?: string): number;
  /** simulateInboundCall with this account and far ends, registered for REST update/fetch. */
  placeInboundCall(opts: Omit<InboundCallOptions, 'authToken' | 'accountSid'>): Promise<SimulatedCall>;
  /** Registers a TwilioCall built elsewhere so REST update/fetch reach it. */
  adopt(call: TwilioCall, identity: { from: string; to: string; direction?: 'inbound' | 'outbound-api' }): StandinCall;
  /** Queues faults for the next REST creates, one per request, in order. */
  injectFaults(...faults: RestFault[]): void;
  /** Create requests answered with an injected fault so far. */
  readonly faultsServed: number;
  /** Resolves when every known call is over and its callbacks are delivered. */
  settled(): Promise<void>;
  /** Ends every call, waits for them, closes the server and its connections. */
  close(): Promise<void>;
}

export async function startTwilioStandin(opts: TwilioStandinOptions = {}): Promise<TwilioStandin> {
  const accountSid = opts.accountSid ?? newSid('AC');
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const farEnds: FarEnds = opts.farEnds ?? (() => ({ kind: 'human' }));
  const timeScale = opts.timeScale ?? 1;
  const verbTimeScale = opts.verbTimeScale ?? 0;
  const calls = new Map<string, StandinCall>();
  const requests: RestRequestRecord[] = [];
  const created = new Map<string, number>();
  const alive = new Set<string>();
  const inProgress = new Set<string>();
  let maxConcurrent = 0;
  let maxActive = 0;
  const t0 = monotonicNow();
  const faults: RestFault[] = [];
  let faultsServed = 0;

  const onStatus = (call: StandinCall, status: CallStatus): void => {
    if (call.direction !== 'outbound-api') return;
    if (FINAL_STATUSES.has(status)) alive.delete(call.sid);
    else alive.add(call.sid);
    if (status === 'in-progress') inProgress.add(call.sid);
    else inProgress.delete(call.sid);
    maxConcurrent = Math.max(maxConcurrent, inProgress.size);
    maxActive = Math.max(maxActive, alive.size);
  };

  const createCall = (params: Record<string, string[]>): Answer => {
    const parsed = parseCreateCall(params);
    if (!parsed.ok) return { status: 400, body: parsed.error };
    const req = parsed.value;
    const sid = newSid('CA');
    created.set(req.to, (created.get(req.to) ?? 0) + 1);
    alive.add(sid);
    maxActive = Math.max(maxActive, alive.size);
    const call = new OutboundCall({
      sid,
      accountSid,
      authToken,
      request: req,
      farEnd: farEnds(req.to),
      farEnds,
      timeScale,
      verbTimeScale,
      signature: opts.signature,
      whisperDeclineStatus: opts.whisperDeclineStatus,
      onStatus,
      callbackGate: opts.holdCallbacks,
    });
    calls.set(sid, call);
    return { status: 201, body: callResource(call), created: call };
  };

  /** GET Calls.json: newest first, filtered by To / From / Status like Twilio's list (one page). */
  const listCalls = (query: URLSearchParams, path: string): { status: number; body: object } => {
    const to = query.get('To');
    const from = query.get('From');
    const status = query.get('Status');
    const pageSize = Math.min(Number(query.get('PageSize') ?? 50) || 50, 1000);
    const found = [...calls.values()]
      .filter((c) => (!to || c.to === to) && (!from || c.from === from) && (!status || c.status === status))
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())
      .slice(0, pageSize);
    const uri = `${path}?PageSize=${pageSize}`;
    return {
      status: 200,
      body: { calls: found.map(callResource), page: 0, page_size: pageSize, start: 0, end: Math.max(0, found.length - 1), uri, first_page_uri: uri, next_page_uri: null, previous_page_uri: null },
    };
  };

  const handle = (method: string, path: string, params: Record<string, string[]>, auth: string | undefined, query = new URLSearchParams()): Answer => {
    const creds = basicAuth(auth);
    if (!creds || creds.user !== accountSid || creds.password !== authToken) {
      return { status: 401, body: twilioError(401, 20003, 'Authenticate') };
    }
    const r = route(path);
    const notFound = (): { status: number; body: TwilioError } => ({
      status: 404,
      body: twilioError(404, 20404, `The requested resource ${path} was not found`),
    });
    if (r.kind === 'unknown' || r.accountSid !== accountSid) return notFound();
    if (r.kind === 'calls') {
      if (method === 'POST') return createCall(params);
      return method === 'GET' ? listCalls(query, path) : { status: 405, body: twilioError(405, 20004, 'Method not allowed') };
    }
    const call = calls.get(r.callSid);
    if (!call) return notFound();
    if (method === 'GET') return { status: 200, body: callResource(call) };
    if (method !== 'POST') return { status: 405, body: twilioError(405, 20004, 'Method not allowed') };
    const u = parseUpdateCall(params);
    if (!u.ok) return { status: 400, body: u.error };
    const done = call.update(u.value);
    if (!done.ok) return { status: 400, body: twilioError(400, done.code, done.message) };
    return { status: 200, body: callResource(call) };
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const path = url.pathname;
      const method = req.method ?? 'GET';
      const params = method === 'GET' ? {} : readForm(body);
      const r = route(path);
      const fault = method === 'POST' && r.kind === 'calls' ? faults.shift() : undefined;
      if (fault?.afterCreate) handle(method, path, params, req.headers.authorization, url.searchParams);
      if (fault) {
        faultsServed++;
        if ('reset' in fault) {
          requests.push({ atMs: monotonicNow() - t0, method, path, status: 0, params });
          return void req.socket.destroy();
        }
        requests.push({ atMs: monotonicNow() - t0, method, path, status: fault.status, params });
        const error = twilioError(fault.status, 20000 + fault.status, FAULT_MESSAGES[fault.status] ?? 'Error');
        return void res.writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(error));
      }
      let out: Answer;
      try {
        out = handle(method, path, params, req.headers.authorization, url.searchParams);
      } catch (err) {
        out = { status: 500, body: twilioError(500, 20500, `stand-in failure: ${(err as Error).message}`) };
      }
      requests.push({ atMs: monotonicNow() - t0, method, path, status: out.status, params });
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (out.status === 401) headers['www-authenticate'] = 'Basic realm="Twilio API"';
      const held = out.created && opts.holdCreateAnswer ? opts.holdCreateAnswer(out.created).catch(() => undefined) : undefined;
      // Rendered at creation (status queued), as Twilio's answer is, however late it arrives.
      const text = JSON.stringify(out.body);
      const status = out.status;
      const send = (): void => void res.writeHead(status, headers).end(text);
      if (held) void held.then(send);
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  const adopt: TwilioStandin['adopt'] = (call, identity) => {
    const c = new AdoptedCall(call, { from: identity.from, to: identity.to, direction: identity.direction ?? 'inbound' }, onStatus);
    calls.set(c.sid, c);
    return c;
  };

  const settled = async (): Promise<void> => {
    let n = -1;
    while (n !== calls.size) {
      n = calls.size;
      await Promise.all([...calls.values()].map((c) => c.done));
    }
  };

  return {
    url: `http://${host}:${addr.port}`,
    accountSid,
    authToken,
    calls,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get maxActive() {
      return maxActive;
    },
    get inProgress() {
      return inProgress.size;
    },
    injectFaults: (...f) => void faults.push(...f),
    get faultsServed() {
      return faultsServed;
    },
    createdCount: (to) => (to === undefined ? [...created.values()].reduce((a, b) => a + b, 0) : created.get(to) ?? 0),
    placeInboundCall: (o) =>
      simulateInboundCall({
        farEnds,
        timeScale,
        verbTimeScale,
        whisperDeclineStatus: opts.whisperDeclineStatus,
        ...o,
        authToken,
        accountSid,
        onCall: (call) => {
          adopt(call, { from: o.from, to: o.to });
          o.onCall?.(call);
        },
      }),
    adopt,
    settled,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        void Promise.all([...calls.values()].map((c) => c.hangup())).then(() => server.closeAllConnections());
      });
      await settled();
    },
  };
}
