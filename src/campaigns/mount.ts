import type { Express, Router } from 'express';
import type { Config } from '../../config/index.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallEvents } from '../calls/call-events.js';
import type { OutboundProvider } from '../calls/outbound-provider.js';
import { reconcileCallRecords, type RecordReconcileReport } from '../calls/record-reconciler.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { startCampaignEngine, type CampaignEngine } from './engine.js';
import { campaignRoutes } from './http/campaign-routes.js';

export interface CampaignsDeps {
  config: Config;
  log: Logger;
  store: Store;
  registry: CallRegistry;
  callEvents: CallEvents;
  instanceId: string;
  outbound: OutboundProvider;
}

export interface CampaignsMount {
  /** The engine, once started. */
  readonly engine: CampaignEngine | undefined;
  /** What start-up found of the call records the previous run left open. */
  readonly reconciledRecords: RecordReconcileReport | undefined;
  /** Closes the call records a crash (at `crashedAt`) left open, then starts the engine. */
  start(crashedAt: number): Promise<void>;
  /** Serves the campaign routes (they need the started engine). */
  openRoutes(): void;
  stop(): Promise<void>;
}

/** Campaigns: the engine that dials recipients, and its API (behind the API token), which exists once the engine runs. */
export function mountCampaigns(app: Express, deps: CampaignsDeps): CampaignsMount {
  const { config, log, store, registry, instanceId, outbound } = deps;
  let engine: CampaignEngine | undefined;
  let reconciledRecords: RecordReconcileReport | undefined;
  let router: Router | undefined;
  // The campaign routes exist once the engine has started (listen()).
  app.use((req, res, next) => (router ? router(req, res, next) : next()));
  return {
    get engine() {
      return engine;
    },
    get reconciledRecords() {
      return reconciledRecords;
    },
    start: async (crashedAt) => {
      engine = await startCampaignEngine({
        beforeReconcile: async () => {
          reconciledRecords = await reconcileCallRecords({ store, instanceId, provider: outbound.recordProvider, crashedAt, log });
        },
        store, events: deps.callEvents, dialer: outbound.dialer, lookup: outbound.lookup, control: outbound.lookup, log,
        instanceId: config.campaigns.instanceId, maxConcurrentCalls: config.limits.maxConcurrentCalls,
        concurrencyShare: config.campaigns.concurrencyShare, callsPerSecond: config.campaigns.callsPerSecond,
        // Outbound campaign calls are counted from the database; only inbound ones are added here.
        activeInbound: () => registry.list().filter((s) => s.direction === 'inbound').length,
      });
    },
    openRoutes: () => {
      if (engine) router = campaignRoutes({ service: engine.service, log, defaultRegion: config.campaigns.defaultRegion });
    },
    stop: async () => {
      await engine?.stop();
    },
  };
}
