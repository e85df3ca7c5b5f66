import type { Config } from '../../config/index.js';
import type { SrfLike } from '../../sip/signaling/srf-types.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallEndings } from '../calls/call-endings.js';
import type { CallEvents } from '../calls/call-events.js';
import type { CallLog } from '../calls/call-log.js';
import type { CallServices } from '../calls/call-services.js';
import type { OutboundProvider } from '../calls/outbound-provider.js';
import { StoreCallLookup } from '../calls/store-call-lookup.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Recordings } from '../recording/recordings.js';
import type { Store } from '../store/index.js';
import { SipDialer } from './sip-dialer.js';
import { SipService } from './sip-service.js';

export interface SipMountDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  registry: CallRegistry;
  callEvents: CallEvents;
  callLog: CallLog;
  services: CallServices;
  recordings: Recordings;
  endings: CallEndings;
  instanceId: string;
  /** Tests only: a stand-in for drachtio's Srf at the signaling boundary. */
  srf?: SrfLike;
}

export interface SipMount {
  /** Present when DRACHTIO is configured; started and stopped by the bridge. */
  readonly service: SipService | undefined;
  /** Present when OUTBOUND_PROVIDER=sip (and SIP is configured): outbound calls go out over the trunk. */
  readonly outbound: OutboundProvider | undefined;
}

/**
 * SIP: calls over drachtio-server and RTP. No HTTP routes (signaling has its
 * own connection); readiness reports on it, and it can take over outbound dialing.
 */
export function mountSip(deps: SipMountDeps): SipMount {
  const { config, log, metrics, registry, store, callLog, recordings, callEvents, instanceId } = deps;
  const { policies, tts, personalizer, prefetchBroadcast } = deps.services;
  const { onEnded, onBroadcastEnded } = deps.endings;
  if (!config.sip.drachtio) return { service: undefined, outbound: undefined };
  const sip = new SipService({ config, log, metrics, registry, policies, store, tts, callLog, onEnded, srf: deps.srf, personalizer, recordings });
  if (config.sip.outboundProvider !== 'sip') return { service: sip, outbound: undefined };
  const dialer = new SipDialer({
    sip, store, events: callEvents, registry, log, metrics, fromNumber: config.twilio.fromNumber, instanceId,
    onEnded, onBroadcastEnded, prefetchBroadcast: prefetchBroadcast(sip.outboundLaw),
  });
  // No provider to ask about SIP calls: campaigns look them up in our own records, and start-up reconcile has no record provider.
  return { service: sip, outbound: { dialer, lookup: new StoreCallLookup(store, registry) } };
}
