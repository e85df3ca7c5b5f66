import type { DialIntent, OutboundCallControl, OutboundCallLookup, ProviderCall } from '../campaigns/reconcile-port.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Store } from '../store/index.js';

/**
 * Reconciliation for providers we terminate ourselves (SIP): the call record
 * written before the INVITE is the truth. A record still active after a
 * restart belonged to a process that died with its calls, so it is failed.
 */
export class StoreCallLookup implements OutboundCallLookup, OutboundCallControl {
  constructor(private readonly store: Store, private readonly registry: CallRegistry) {}

  async findCall(intent: DialIntent): Promise<ProviderCall | null> {
    const call = intent.callId ? await this.store.calls.get(intent.callId) : undefined;
    if (!call) return null;
    if (call.endedAt === null && !this.registry.get(call.id)) {
      // We terminate SIP calls ourselves: a live record no session holds died with its process.
      await this.store.calls.end(call.id, { reason: 'lost' });
      return { callId: call.id, providerCallId: call.providerCallId ?? call.id, status: 'failed' };
    }
    return { callId: call.id, providerCallId: call.providerCallId ?? call.id, status: call.status };
  }

  async hangup(call: { callId: string | null; providerCallId: string }): Promise<void> {
    await this.registry.get(call.callId ?? call.providerCallId)?.end('api-hangup', 'campaign cancelled');
  }
}
