/**
 * Whether a failed Twilio REST create may be tried again. Transient: 429
 * (Too Many Requests), any 5xx, and network errors where the request never
 * got an answer. Final: a 4xx with a Twilio error code (invalid number,
 * unverified caller ID, …): trying again gives the same answer.
 */
export type DialFailure =
  | { transient: true; why: string }
  | { transient: false; why: string; code: string | null; status: number | null };

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ECONNABORTED', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

interface ErrorLike {
  status?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

export function classifyDialError(err: unknown): DialFailure {
  const e = (err ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.status === 'number' ? e.status : null;
  if (status !== null) {
    if (status === 429 || status >= 500) return { transient: true, why: `HTTP ${status}: ${message}` };
    return { transient: false, why: message, code: e.code === undefined || e.code === null ? null : String(e.code), status };
  }
  const net = networkCode(e);
  if (net) return { transient: true, why: `${net}: ${message}` };
  return { transient: false, why: message, code: null, status: null };
}

function networkCode(e: ErrorLike, depth = 0): string | undefined {
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (depth < 3 && e.cause && typeof e.cause === 'object') return networkCode(e.cause as ErrorLike, depth + 1);
  return undefined;
}
