import { createHash, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { Request, RequestHandler } from 'express';
import type { SessionStore } from '../ui/sessions.js';
import { sendError } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The dashboard's session cookie (HttpOnly, SameSite=Strict; see src/ui/ui-routes.ts). */
export const SESSION_COOKIE = 'vb_session';
/**
 * A header the dashboard sends on every state-changing request. A cross-site
 * form cannot set it, and a cross-site script cannot without a CORS preflight
 * this server never grants: with SameSite=Strict, a second lock against CSRF.
 */
export const CSRF_HEADER = 'x-requested-with';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Constant-time comparison with the configured API token (both sides hashed first, so lengths do not leak). */
export function tokenMatcher(token: string | undefined): ((candidate: string) => boolean) | undefined {
  const expected = token ? digest(token) : undefined;
  return expected && ((candidate) => timingSafeEqual(digest(candidate), expected));
}

export function sessionIdOf(req: Request): string | undefined {
  return parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE];
}

/** A request from another site: its Origin (when the browser sends one) is not this host. */
export function crossOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * The API's door: `Authorization: Bearer <API_TOKEN>`, or the dashboard's
 * session cookie (then state-changing requests also need the CSRF header and,
 * when the browser names one, a same-site Origin).
 */
export function requireApiToken(token: string | undefined, sessions?: SessionStore): RequestHandler {
  const matches = tokenMatcher(token);
  return (req, res, next) => {
    if (!matches) return sendError(res, 503, 'api-disabled', 'the API is disabled: set API_TOKEN');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (bearer && matches(bearer[1]!)) return next();
    if (!bearer && sessions?.touch(sessionIdOf(req))) {
      if (!SAFE_METHODS.has(req.method) && (!req.headers[CSRF_HEADER] || crossOrigin(req))) {
        return sendError(res, 403, 'csrf', `state-changing requests with a session cookie need the ${CSRF_HEADER} header from this origin`);
      }
      return next();
    }
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'missing or invalid bearer token');
  };
}
