import express, { type Express, type Router } from 'express';
import type { Config } from '../../config/index.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { LiveCall } from '../call/live-call.js';
import { callsRoutes, liveControlRoutes } from '../http/calls-routes.js';
import { runLocalControl } from '../http/live-control.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { PgControlForwarder } from './control-forwarder.js';
import type { OutboundDialer } from './outbound-dialer.js';

export interface CallsApiDeps {
  config: Config;
  log: Logger;
  store: Store;
  registry: CallRegistry;
  instanceId: string;
  dialer: OutboundDialer;
  /** Further API routers, served after `/calls` and before live control, in this order (webhook deliveries, recordings). */
  routes: Router[];
  sayAfterStream: (call: LiveCall, message: string) => void;
  hangupElsewhere: (id: string, message?: string) => Promise<boolean>;
}

/** The cross-instance control channel (PostgreSQL only), started once the bridge listens. */
export interface CallsApi {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The calls API (JSON, behind the API token): place and read calls, and live
 * control (transfer, hang up, message) of a call on this instance or, through
 * the control channel, on the instance holding it.
 */
export function mountCallsApi(app: Express, deps: CallsApiDeps): CallsApi {
  const { config, store, registry, instanceId, dialer, sayAfterStream, hangupElsewhere } = deps;
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  api.use(callsRoutes({ config, store, registry, dialer }));
  const forwarder = controlForwarder(deps);
  for (const routes of deps.routes) api.use(routes);
  api.use(liveControlRoutes({
    registry, store, instanceId, sayAfterStream, hangupElsewhere,
    forward: forwarder && ((target, req) => forwarder.forward(target, req)),
  }));
  app.use(api);
  return {
    start: async () => void (await forwarder?.start()),
    stop: async () => void (await forwarder?.stop()),
  };
}

/** Several instances share PostgreSQL: control for a call held elsewhere is forwarded to its holder. */
function controlForwarder(deps: CallsApiDeps): PgControlForwarder | undefined {
  const { store, config, registry, sayAfterStream } = deps;
  const { connection } = store.database;
  if (store.database.dialect !== 'postgres' || !connection) return undefined;
  return new PgControlForwarder({
    db: store.database.db, connection, instanceId: deps.instanceId, log: deps.log, timeoutMs: config.instances.controlForwardTimeoutMs,
    local: (req) => runLocalControl({ registry, sayAfterStream }, req),
  });
}
