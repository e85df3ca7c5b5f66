import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Server side of HTTP Digest for SIP (RFC 3261 §22.4, RFC 2617 / RFC 7616
 * with `algorithm=MD5`, `qop=auth`). Nonces are stateless: a timestamp plus an
 * HMAC over it, so any instance with the same key can verify them and stale
 * ones are detected without storage (RFC 7616 §3.3 "stale").
 */

export interface DigestVerifierOptions {
  realm: string;
  /** Key for nonce HMACs; random per process when absent. */
  nonceKey?: Buffer;
  /** Nonce lifetime. */
  nonceTtlMs?: number;
  now?: () => number;
}

export type DigestCheck =
  | { ok: true; username: string }
  | { ok: false; stale: boolean; why: string };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** `Digest a="b", c=d` → `{a: 'b', c: 'd'}` (RFC 2617 §3.2.2). */
export function parseDigestHeader(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const p of m[1]!.matchAll(re)) out[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return out;
}

export class DigestVerifier {
  private readonly key: Buffer;
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(private readonly opts: DigestVerifierOptions) {
    this.key = opts.nonceKey ?? randomBytes(32);
    this.ttl = opts.nonceTtlMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  private sign(ts: string): string {
    return createHmac('sha256', this.key).update(ts).digest('hex').slice(0, 32);
  }

  nonce(): string {
    const ts = this.now().toString(16);
    return `${ts}.${this.sign(ts)}`;
  }

  /** The `WWW-Authenticate` value for a 401 (RFC 3261 §22.1). */
  challenge(stale = false): string {
    return `Digest realm="${this.opts.realm}", nonce="${this.nonce()}", algorithm=MD5, qop="auth"`
      + (stale ? ', stale=true' : '');
  }

  private nonceState(nonce: string): 'ok' | 'stale' | 'bad' {
    const [ts, mac] = nonce.split('.');
    if (!ts || !mac) return 'bad';
    const expected = Buffer.from(this.sign(ts));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad';
    return this.now() - parseInt(ts, 16) > this.ttl ? 'stale' : 'ok';
  }

  /** Verify an `Authorization` header for `method` against one user's password. */
  verify(header: string | undefined, method: string, password: (username: string) => string | undefined): DigestCheck {
    const p = header ? parseDigestHeader(header) : undefined;
    if (!p) return { ok: false, stale: false, why: 'no credentials' };
    if (p.realm !== this.opts.realm) return { ok: false, stale: false, why: 'wrong realm' };
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return { ok: false, stale: false, why: 'unsupported algorithm' };
    const state = this.nonceState(p.nonce ?? '');
    if (state === 'bad') return { ok: false, stale: false, why: 'invalid nonce' };
    const secret = password(p.username ?? '');
    if (secret === undefined) return { ok: false, stale: false, why: 'unknown user' };
    const expected = digestResponse({ ...p, method, password: secret } as DigestInput);
    if (!p.response || expected !== p.response.toLowerCase()) return { ok: false, stale: false, why: 'bad response' };
    if (state === 'stale') return { ok: false, stale: true, why: 'stale nonce' };
    return { ok: true, username: p.username! };
  }
}

export interface DigestInput {
  username: string; realm: string; password: string; method: string; uri: string; nonce: string;
  qop?: string; nc?: string; cnonce?: string;
}

/** RFC 2617 §3.2.2.1: request-digest, with or without `qop=auth`. */
export function digestResponse(i: DigestInput): string {
  const ha1 = md5(`${i.username}:${i.realm}:${i.password}`);
  const ha2 = md5(`${i.method}:${i.uri}`);
  if (i.qop === 'auth') return md5(`${ha1}:${i.nonce}:${i.nc}:${i.cnonce}:auth:${ha2}`);
  return md5(`${ha1}:${i.nonce}:${ha2}`);
}
