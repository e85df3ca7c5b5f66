/**
 * A request we refuse, with the final status to answer it with
 * (RFC 3261 §21). Middlewares throw it; the inbound handler turns it into a
 * response. `headers` carries e.g. `WWW-Authenticate` on a 401 (§22.1).
 */
export class SipError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`SIP ${status} ${reason}`);
    this.name = 'SipError';
  }
}

export function isSipError(err: unknown): err is SipError {
  return err instanceof SipError;
}
