/**
 * Fetching TwiML the way Twilio does: a signed request, 200 with an XML content type,
 * then a well-formed <Response>. Failures map to the Twilio error a real call would log
 * (11200 HTTP retrieval failure, 12300 invalid Content-Type, 12100 document parse failure).
 */
import { parseTwiml, type TwimlDocument } from './twiml-reader.js';
import { sendSignedRequest, type FormParams, type SignatureMode } from './webhook-signer.js';

/** Where the next TwiML comes from: a URL Twilio requests, or inline TwiML (REST `twiml`). */
export type TwimlSource = { url: string; method?: 'GET' | 'POST' } | { twiml: string; baseUrl: string };

export interface RequestRecord {
  atMs: number;
  url: string;
  method: 'GET' | 'POST';
  params: FormParams;
  status: number;
}

export type FetchOutcome =
  | { ok: true; doc: TwimlDocument; url: string }
  | { ok: false; status?: number; twilioError: 11200 | 12300 | 12100; detail: string };

export interface FetchContext {
  authToken: string;
  signature?: SignatureMode;
  record: (r: RequestRecord) => void;
  nowMs: () => number;
}

function parsed(xml: string, url: string): FetchOutcome {
  try {
    return { ok: true, doc: parseTwiml(xml), url };
  } catch (err) {
    return { ok: false, twilioError: 12100, detail: (err as Error).message };
  }
}

export async function fetchTwiml(ctx: FetchContext, source: TwimlSource, params: FormParams): Promise<FetchOutcome> {
  if ('twiml' in source) return parsed(source.twiml, source.baseUrl);
  const method = source.method ?? 'POST';
  const atMs = ctx.nowMs();
  let res;
  try {
    res = await sendSignedRequest({ authToken: ctx.authToken, url: source.url, params, method, signature: ctx.signature });
  } catch (err) {
    ctx.record({ atMs, url: source.url, method, params, status: 0 });
    const e = err as Error & { cause?: { message?: string } };
    const why = e.cause?.message ? `${e.message} (${e.cause.message})` : e.message;
    return { ok: false, twilioError: 11200, detail: `request to ${source.url} failed: ${why}` };
  }
  ctx.record({ atMs, url: source.url, method, params, status: res.status });
  if (res.status !== 200) {
    return { ok: false, status: res.status, twilioError: 11200, detail: `${source.url} answered ${res.status}: ${res.body.slice(0, 200)}` };
  }
  if (!/\b(text|application)\/xml\b/i.test(res.contentType)) {
    return { ok: false, status: res.status, twilioError: 12300, detail: `Content-Type "${res.contentType}" is not XML` };
  }
  return parsed(res.body, source.url);
}
