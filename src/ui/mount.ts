import type { Express } from 'express';
import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import { SessionStore } from './sessions.js';
import { uiRoutes } from './ui-routes.js';

/**
 * The dashboard: its pages and its sign-in with API_TOKEN. The returned
 * sessions let the dashboard's cookie open the same API as the token.
 */
export function mountUi(app: Express, deps: { config: Config; log: Logger }): SessionStore {
  const { config, log } = deps;
  const sessions = new SessionStore(config.ui.sessionTtlSeconds * 1000);
  app.use(uiRoutes({ apiToken: config.apiToken, sessions, sessionTtlSeconds: config.ui.sessionTtlSeconds, secureCookie: config.publicUrl.startsWith('https:'), log }));
  return sessions;
}
