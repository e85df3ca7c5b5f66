/**
 * The wire side of the Calls resource (protocols.md §3; twilio-node `rest/api/v2010/account/call.ts`):
 * form-encoded requests with Twilio's parameter names, JSON answers shaped like Twilio's
 * (Call resource with snake_case fields and RFC 2822 dates; errors as
 * `{ code, message, more_info, status }`). Pure functions, no I/O.
 *
 * Error codes: 20003 (authenticate), 20404 (not found), 21201/21213 (To/From missing),
 * 21211/21212 (invalid To/From), 21205 (Url), 21220 (redirecting a call that is not in progress)
 * follow Twilio's error dictionary; 21200 is used here for any other invalid parameter
 * (Twilio has finer-grained codes for some of them).
 */
import type { MachineDetection } from './amd.js';
import { FINAL_STATUSES, STATUS_CALLBACK_EVENTS, type CallUpdate, type CreateCallRequest, type StandinCall, type StatusCallbackEvent } from './outbound-call.js';

export const API_VERSION = '2010-04-01';

export interface TwilioError {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioError {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export type WireParams = Record<string, string[]>;

export function readForm(body: string): WireParams {
  const out: WireParams = {};
  for (const [k, v] of new URLSearchParams(body)) (out[k] ??= []).push(v);
  return out;
}

export type Route =
  | { kind: 'calls'; accountSid: string }
  | { kind: 'call'; accountSid: string; callSid: string }
  | { kind: 'unknown' };

export function route(path: string): Route {
  const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+?))?\.json$/.exec(path);
  if (!m) return { kind: 'unknown' };
  return m[2] ? { kind: 'call', accountSid: decodeURIComponent(m[1]!), callSid: decodeURIComponent(m[2]) } : { kind: 'calls', accountSid: decodeURIComponent(m[1]!) };
}

/** The account and secret of an `Authorization: Basic …` header. */
export function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

const PHONE = /^\+[1-9]\d{1,14}$/;
const ADDRESS = /^(sip:|client:)\S+$/i;

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: TwilioError };

const bad = (code: number, message: string): { ok: false; error: TwilioError } => ({ ok: false, error: twilioError(400, code, message) });

function methodOf(p: WireParams, name: string): 'GET' | 'POST' | undefined | null {
  const v = p[name]?.[0];
  if (v === undefined || v === '') return undefined;
  const up = v.toUpperCase();
  return up === 'GET' || up === 'POST' ? up : null;
}

function intIn(p: WireParams, name: string, min: number, max: number, fallback: number): number | null {
  const v = p[name]?.[0];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` → a validated request, or Twilio's 400. */
export function parseCreateCall(p: WireParams): Parsed<CreateCallRequest> {
  const one = (name: string): string | undefined => (p[name]?.[0] === '' ? undefined : p[name]?.[0]);
  const to = one('To');
  const from = one('From');
  if (!to) return bad(21201, "A 'To' phone number is required.");
  if (!from) return bad(21213, "A 'From' phone number is required.");
  if (!PHONE.test(to) && !ADDRESS.test(to)) return bad(21211, `Invalid 'To' Phone Number: ${to}`);
  if (!PHONE.test(from) && !ADDRESS.test(from)) return bad(21212, `Invalid 'From' Phone Number: ${from}`);
  const url = one('Url');
  const twiml = one('Twiml');
  if (!url && !twiml && !one('ApplicationSid')) return bad(21205, 'Url parameter is required.');
  if (one('ApplicationSid') && !url && !twiml) return bad(21200, 'ApplicationSid is not supported by the stand-in; use Url or Twiml.');
  if (url && !isHttpUrl(url)) return bad(21205, `Url is not a valid URL: ${url}`);
  if (!url && twiml && twiml.length > 4000) return bad(21200, 'Twiml must be at most 4000 characters.');
  const method = methodOf(p, 'Method');
  const statusCallbackMethod = methodOf(p, 'StatusCallbackMethod');
  const asyncAmdStatusCallbackMethod = methodOf(p, 'AsyncAmdStatusCallbackMethod');
  if (method === null || statusCallbackMethod === null || asyncAmdStatusCallbackMethod === null) return bad(21200, 'Method must be GET or POST.');
  const statusCallback = one('StatusCallback');
  if (statusCallback && !isHttpUrl(statusCallback)) return bad(21200, `StatusCallback is not a valid URL: ${statusCallback}`);
  // The wire repeats StatusCallbackEvent; some clients send one space-separated value.
  const events = (p.StatusCallbackEvent ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  const unknownEvent = events.find((e) => !STATUS_CALLBACK_EVENTS.includes(e as StatusCallbackEvent));
  if (unknownEvent) return bad(21200, `StatusCallbackEvent must be one of ${STATUS_CALLBACK_EVENTS.join(', ')}; got ${unknownEvent}.`);
  const timeoutSec = intIn(p, 'Timeout', 1, 600, 60);
  if (timeoutSec === null) return bad(21200, 'Timeout must be an integer between 1 and 600.');
  const timeLimit = intIn(p, 'TimeLimit', 1, 86_400, 0);
  if (timeLimit === null) return bad(21200, 'TimeLimit must be a positive integer.');
  const md = one('MachineDetection');
  if (md !== undefined && md !== 'Enable' && md !== 'DetectMessageEnd') return bad(21200, 'MachineDetection must be Enable or DetectMessageEnd.');
  const mdTimeout = intIn(p, 'MachineDetectionTimeout', 3, 59, 30);
  if (mdTimeout === null) return bad(21200, 'MachineDetectionTimeout must be between 3 and 59.');
  const speech = intIn(p, 'MachineDetectionSpeechThreshold', 1000, 6000, 2400);
  if (speech === null) return bad(21200, 'MachineDetectionSpeechThreshold must be between 1000 and 6000.');
  const asyncAmd = one('AsyncAmd');
  if (asyncAmd !== undefined && asyncAmd !== 'true' && asyncAmd !== 'false') return bad(21200, 'AsyncAmd must be true or false.');
  const asyncAmdStatusCallback = one('AsyncAmdStatusCallback');
  if (asyncAmdStatusCallback && !isHttpUrl(asyncAmdStatusCallback)) return bad(21200, `AsyncAmdStatusCallback is not a valid URL: ${asyncAmdStatusCallback}`);
  return {
    ok: true,
    value: {
      to,
      from,
      // "If both url and twiml are given, twiml is ignored" (§3.1).
      source: url ? { url, method: method ?? 'POST' } : { twiml: twiml!, baseUrl: 'https://api.twilio.com/' },
      statusCallback,
      statusCallbackMethod: statusCallbackMethod ?? 'POST',
      statusCallbackEvents: events.length > 0 ? (events as StatusCallbackEvent[]) : ['completed'],
      timeoutSec,
      timeLimitSec: timeLimit || undefined,
      machineDetection: md as MachineDetection | undefined,
      asyncAmd: asyncAmd === 'true',
      asyncAmdStatusCallback,
      asyncAmdStatusCallbackMethod: asyncAmdStatusCallbackMethod ?? 'POST',
      machineDetectionTimeoutSec: mdTimeout,
      machineDetectionSpeechThresholdMs: speech,
      params: p,
    },
  };
}

/** `POST …/Calls/{CallSid}.json` (§3.4): Status completed|canceled, or Url (+Method), or Twiml. */
export function parseUpdateCall(p: WireParams): Parsed<CallUpdate> {
  const one = (name: string): string | undefined => (p[name]?.[0] === '' ? undefined : p[name]?.[0]);
  const status = one('Status');
  if (status !== undefined && status !== 'completed' && status !== 'canceled') return bad(21200, 'Status must be completed or canceled.');
  const url = one('Url');
  const twiml = one('Twiml');
  if (url && !isHttpUrl(url)) return bad(21205, `Url is not a valid URL: ${url}`);
  if (twiml && twiml.length > 4000) return bad(21200, 'Twiml must be at most 4000 characters.');
  const method = methodOf(p, 'Method');
  if (method === null) return bad(21200, 'Method must be GET or POST.');
  if (!status && !url && !twiml) return bad(21200, 'Nothing to update: give Status, Url or Twiml.');
  const u: CallUpdate = {};
  if (status) u.status = status;
  if (url) u.url = url;
  if (method) u.method = method;
  if (twiml && !url) u.twiml = twiml;
  return { ok: true, value: u };
}

function rfc2822(d: Date | undefined): string | null {
  return d ? d.toUTCString().replace('GMT', '+0000') : null;
}

/** The Call resource JSON Twilio returns for create, update and fetch. */
export function callResource(c: StandinCall): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${c.accountSid}/Calls/${c.sid}`;
  const ended = FINAL_STATUSES.has(c.status);
  return {
    account_sid: c.accountSid,
    annotation: null,
    answered_by: c.answeredBy ?? null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(c.dateCreated),
    date_updated: rfc2822(new Date()),
    direction: c.direction,
    duration: ended ? String(c.durationSec ?? 0) : null,
    end_time: rfc2822(c.endTime),
    forwarded_from: null,
    from: c.from,
    from_formatted: c.from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: c.sid,
    start_time: rfc2822(c.startTime),
    status: c.status,
    subresource_uris: {
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      payments: `${uri}/Payments.json`,
      events: `${uri}/Events.json`,
      siprec: `${uri}/Siprec.json`,
      streams: `${uri}/Streams.json`,
      transcriptions: `${uri}/Transcriptions.json`,
      user_defined_message_subscriptions: `${uri}/UserDefinedMessageSubscriptions.json`,
      user_defined_messages: `${uri}/UserDefinedMessages.json`,
    },
    to: c.to,
    to_formatted: c.to,
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}
