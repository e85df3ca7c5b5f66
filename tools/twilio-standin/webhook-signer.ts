/**
 * Signs requests the way Twilio does, so the bridge's real validation code is exercised.
 *
 * Form POSTs: HMAC-SHA1 over URL + sorted name/value pairs, keyed with the Auth Token
 * (Twilio "Webhooks security"; protocols.md §1.4). We delegate to twilio-node's
 * `getExpectedTwilioSignature`, the same function Twilio's SDK validates with.
 * Media Streams upgrade: the signed string is the exact ws(s):// Stream URL with an
 * EMPTY parameter map (§1.4), because the upgrade is a GET with no body.
 */
import twilio from 'twilio';

export type FormParams = Record<string, string>;

/** How the stand-in signs: honestly, not at all, or with a bogus value (security tests). */
export type SignatureMode = 'valid' | 'missing' | 'wrong' | { header: string };

export function signForm(authToken: string, url: string, params: FormParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

export function signUpgrade(authToken: string, wsUrl: string): string {
  return twilio.getExpectedTwilioSignature(authToken, wsUrl, {});
}

/** The X-Twilio-Signature header value for a mode, or undefined to omit the header. */
export function signatureHeader(mode: SignatureMode, sign: () => string): string | undefined {
  if (mode === 'missing') return undefined;
  if (mode === 'wrong') return Buffer.from('not-the-right-signature-000000').toString('base64');
  if (typeof mode === 'object') return mode.header;
  return sign();
}

export interface TwilioHttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface SignedRequestOptions {
  authToken: string;
  url: string;
  params: FormParams;
  /** Twilio fetches TwiML with POST unless a `method` attribute says GET. */
  method?: 'GET' | 'POST';
  signature?: SignatureMode;
  timeoutMs?: number;
}

/**
 * Makes a Twilio-style webhook request. For GET, Twilio puts the parameters in the
 * query string and signs the full URL with an empty map (§1.4).
 */
export async function sendSignedRequest(opts: SignedRequestOptions): Promise<TwilioHttpResponse> {
  const method = opts.method ?? 'POST';
  const mode = opts.signature ?? 'valid';
  let url = opts.url;
  let body: string | undefined;
  let signed: () => string;
  if (method === 'GET') {
    const u = new URL(opts.url);
    for (const [k, v] of Object.entries(opts.params)) u.searchParams.append(k, v);
    url = u.toString();
    signed = () => signForm(opts.authToken, url, {});
  } else {
    body = new URLSearchParams(opts.params).toString();
    signed = () => signForm(opts.authToken, url, opts.params);
  }
  const headers: Record<string, string> = { 'user-agent': 'TwilioProxy/1.1 (voice-bridge stand-in)' };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  const sig = signatureHeader(mode, signed);
  if (sig !== undefined) headers['x-twilio-signature'] = sig;
  // Twilio gives up on a webhook after 15 s (error 11205); default to that.
  // A cleared timer rather than AbortSignal.timeout(), which would outlive the request.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer in ${opts.timeoutMs ?? 15_000} ms`)), opts.timeoutMs ?? 15_000);
  try {
    const res = await fetch(url, { method, headers, body, signal: abort.signal });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
