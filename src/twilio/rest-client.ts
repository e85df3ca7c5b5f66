/**
 * The bridge's Twilio REST client: the official `twilio` client, pointed at `apiUrl`
 * (config `TWILIO_API_URL`). With the default `https://api.twilio.com` it is the stock client.
 * Otherwise it gets a `RequestClient` subclass through the documented `httpClient` option that
 * swaps the scheme, host and port of every request URI (any `*.twilio.com` domain) for
 * `apiUrl`'s, keeping the path; a path on `apiUrl` (e.g. `http://host/twilio`) is prefixed.
 * No library internals are patched. Credentials only go into the Basic auth header; this
 * module logs nothing.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type ResponseModule from 'twilio/lib/http/response.js';

export const DEFAULT_TWILIO_API_URL = 'https://api.twilio.com';

export interface TwilioRestClientOptions {
  accountSid: string;
  authToken: string;
  /** REST base URL; default `https://api.twilio.com`. */
  apiUrl?: string;
  /** Request timeout (ms); the library's default (30 s) when unset. */
  timeoutMs?: number;
}

export type TwilioRestClient = twilio.Twilio;

/** `uri` with its origin replaced by `apiUrl`'s origin and `apiUrl`'s path prefixed to its path. */
export function rebaseTwilioUri(uri: string, apiUrl: string): string {
  const base = new URL(apiUrl);
  const target = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

/** A RequestClient that sends every request to `apiUrl` instead of the Twilio host it was built for. */
export class RebasingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly apiUrl: string,
    opts?: RequestClient.RequestClientOptions,
  ) {
    super(opts);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<ResponseModule.default<TData>> {
    return super.request<TData>({ ...opts, uri: rebaseTwilioUri(opts.uri, this.apiUrl) });
  }
}

function isDefaultApiUrl(apiUrl: string): boolean {
  const u = new URL(apiUrl);
  return u.origin === DEFAULT_TWILIO_API_URL && (u.pathname === '/' || u.pathname === '');
}

export function createTwilioRestClient(opts: TwilioRestClientOptions): TwilioRestClient {
  const apiUrl = opts.apiUrl ?? DEFAULT_TWILIO_API_URL;
  const clientOpts = opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs };
  if (isDefaultApiUrl(apiUrl)) {
    return twilio(opts.accountSid, opts.authToken, opts.timeoutMs === undefined ? {} : { httpClient: new twilio.RequestClient(clientOpts) });
  }
  return twilio(opts.accountSid, opts.authToken, { httpClient: new RebasingRequestClient(apiUrl, clientOpts) });
}
