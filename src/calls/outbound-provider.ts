import type { OutboundCallControl, OutboundCallLookup } from '../campaigns/reconcile-port.js';
import type { OutboundDialer } from './outbound-dialer.js';
import type { RecordProvider } from './record-reconciler.js';

/** The provider that places outbound calls (Twilio REST, or a SIP trunk), as the API and the campaigns use it. */
export interface OutboundProvider {
  readonly dialer: OutboundDialer;
  /** Finds and hangs up the provider's calls (campaign reconcile, cancel with hang-up). */
  readonly lookup: OutboundCallLookup & OutboundCallControl;
  /** Asks the provider about call records a crash left open; absent when the provider cannot be asked. */
  readonly recordProvider?: RecordProvider;
}
