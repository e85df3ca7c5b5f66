import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { CSRF_HEADER, crossOrigin, SESSION_COOKIE, sessionIdOf, tokenMatcher } from '../http/api-auth.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from './sessions.js';

export interface UiDeps {
  apiToken: string | undefined;
  sessions: SessionStore;
  sessionTtlSeconds: number;
  /** `https` public URL: the cookie is also `Secure`. */
  secureCookie: boolean;
  log: Logger;
}

/** The folder with index.html, found from src/ui (tsx) or dist/src/ui (built). */
function uiFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) if (existsSync(join(dir, 'ui', 'index.html'))) return join(dir, 'ui');
  throw new Error('dashboard files (ui/index.html) not found');
}

/** The three browser modules the dashboard uses, served from node_modules as they are published (ES modules). */
const VENDOR: Record<string, string> = { 'preact.mjs': 'preact/dist/preact.mjs', 'hooks.mjs': 'preact/hooks/dist/hooks.mjs', 'htm.mjs': 'htm/dist/htm.mjs' };

/** node_modules beside the ui/ folder (the project root, here and in the Docker image); checked once at start. */
function vendorFiles(folder: string): Map<string, string> {
  const files = new Map(Object.entries(VENDOR).map(([name, rel]) => [name, join(dirname(folder), 'node_modules', rel)]));
  for (const path of files.values()) if (!existsSync(path)) throw new Error(`dashboard module missing: ${path} (run npm install)`);
  return files;
}

const LOGIN_ERRORS: Record<string, string> = {
  token: 'That token is not valid.',
  disabled: 'The API is disabled: set <code>API_TOKEN</code> on the bridge.',
};

/**
 * The operator dashboard under /ui. Only the login page and its stylesheet are
 * public; everything else needs a session made by signing in with API_TOKEN.
 * The session cookie also authorizes the API routes the dashboard calls (see
 * requireApiToken), so the dashboard is a client of the public API, nothing more.
 */
export function uiRoutes(deps: UiDeps): express.Router {
  const router = express.Router();
  const folder = uiFolder();
  const vendor = vendorFiles(folder);
  const matches = tokenMatcher(deps.apiToken);
  const index = readFileSync(join(folder, 'index.html'), 'utf8');
  const login = readFileSync(join(folder, 'login.html'), 'utf8');
  // The import map is the one inline script: allowed by its hash, nothing else inline runs.
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(index)?.[1] ?? '';
  const csp = [
    "default-src 'self'", `script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`,
    "style-src 'self'", "img-src 'self' data:", "media-src 'self' blob:", "connect-src 'self'",
    "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'", "object-src 'none'",
  ].join('; ');
  const signedIn = (req: Request): boolean => deps.sessions.touch(sessionIdOf(req)) !== undefined;

  router.use('/ui', (_req, res, next) => {
    res.set({ 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' });
    next();
  });
  router.get('/ui/login', (req, res) => {
    if (signedIn(req)) return res.redirect(303, '/ui/');
    const error = LOGIN_ERRORS[String(req.query.error ?? '')];
    res.set('cache-control', 'no-store').type('html').send(login.replace('<!--ERROR-->', error ? `<p class="form-error" role="alert">${error}</p>` : ''));
  });
  router.get('/ui/style.css', (_req, res) => res.sendFile(join(folder, 'style.css')));
  router.post('/ui/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = String((req.body as Record<string, unknown> | undefined)?.token ?? '');
    if (crossOrigin(req)) return res.status(403).type('text/plain').send('cross-site sign-in refused');
    if (!matches) return res.redirect(303, '/ui/login?error=disabled');
    if (!matches(token)) {
      deps.log.warn('dashboard sign-in with a wrong token');
      return res.redirect(303, '/ui/login?error=token');
    }
    const session = deps.sessions.create();
    res.cookie(SESSION_COOKIE, session.id, {
      httpOnly: true, sameSite: 'strict', secure: deps.secureCookie, path: '/', maxAge: deps.sessionTtlSeconds * 1000,
    });
    res.redirect(303, '/ui/');
  });
  router.post('/ui/logout', (req, res) => {
    if (!req.headers[CSRF_HEADER] || crossOrigin(req)) return res.status(403).json({ error: { code: 'csrf', message: 'logout needs the x-requested-with header' } });
    deps.sessions.delete(sessionIdOf(req));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  // Everything below needs a session.
  router.use('/ui', (req, res, next) => {
    if (signedIn(req)) return next();
    if (req.method === 'GET' && (req.path === '/' || req.path === '')) return res.redirect(303, '/ui/login');
    res.status(401).json({ error: { code: 'unauthorized', message: 'sign in at /ui/login' } });
  });
  router.get('/ui/vendor/:file', (req, res, next) => {
    const path = vendor.get(String(req.params.file));
    if (!path) return next();
    res.set('cache-control', 'private, max-age=86400').type('text/javascript').sendFile(path);
  });
  router.use('/ui/app', express.static(join(folder, 'app'), { index: false, fallthrough: true, setHeaders: (r) => r.setHeader('cache-control', 'no-cache') }));
  router.get(['/ui', '/ui/'], (_req: Request, res: Response) => void res.set('cache-control', 'no-store').type('html').send(index));
  return router;
}
