import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A short-lived, HMAC-signed token that binds a Media Stream to the call whose
 * webhook we answered. It travels as a `<Parameter>` (Twilio forbids query
 * strings in the stream URL) and covers every other parameter, so a stranger
 * can neither open a stream for an unknown call nor alter the call's context.
 */
export const STREAM_TOKEN_PARAM = 'streamToken';

export type TokenCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'expired' };

interface TokenInput {
  callSid: string;
  params: Record<string, string>;
}

export function issueStreamToken(secret: Buffer, input: TokenInput, ttlSeconds: number, nowMs = Date.now()): string {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  return `v1.${expiry}.${sign(secret, input, expiry)}`;
}

export function verifyStreamToken(secret: Buffer, token: string | undefined, input: TokenInput, nowMs = Date.now()): TokenCheck {
  if (!token) return { ok: false, reason: 'missing' };
  const match = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const expiry = Number(match[1]);
  const expected = Buffer.from(sign(secret, input, expiry));
  const given = Buffer.from(match[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };
  if (expiry * 1000 < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true };
}

function sign(secret: Buffer, { callSid, params }: TokenInput, expiry: number): string {
  const covered = Object.keys(params)
    .filter((k) => k !== STREAM_TOKEN_PARAM)
    .sort()
    .map((k) => [k, params[k]]);
  return createHmac('sha256', secret)
    .update(JSON.stringify(['v1', callSid, expiry, covered]))
    .digest('base64url');
}
