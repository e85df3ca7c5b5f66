import type { Logger } from '../logger.js';
import type { CallRecord, FinalCallStatus, Store } from '../store/index.js';
import { FINAL_CALL_STATUSES } from '../store/index.js';

/** What the provider says about one call (Twilio: `calls(sid).fetch()`). */
export interface ProviderCallState {
  status: string;
  answeredBy?: string | null;
  /** When the provider ended it, if it has. */
  endTime?: Date | null;
}

export interface RecordProvider {
  /** The call's state at the provider; throws (e.g. 404) when it cannot say. */
  fetch(providerCallId: string): Promise<ProviderCallState>;
  /** Ends a call still live at the provider (its media died with us). */
  hangup(providerCallId: string, status: 'completed' | 'canceled'): Promise<void>;
}

export interface RecordReconcileReport {
  open: number;
  /** Ended with the provider's final status (and its end time). */
  fromProvider: number;
  /** Could not be completed from the provider: ended `lost` at the crash time. */
  lost: number;
  /** Still queued or ringing at the provider, no media anywhere: left to its status callbacks. */
  live: number;
  /** Live at the provider with its media gone: hung up there, ended `lost`. */
  hungUp: number;
}

const isFinal = (s: string): s is FinalCallStatus => (FINAL_CALL_STATUSES as readonly string[]).includes(s);

/**
 * On start, closes the records this instance owned when it died: each Twilio
 * call is fetched from the provider and ended with the provider's status and
 * end time (reason `lost` if our session had its media, `provider-ended` if it
 * never reached us); a call still in progress there lost its media with us and
 * is hung up; what cannot be asked (SIP, no CallSid, provider error) is ended
 * `lost` at the crash time. Queued/ringing calls stay open for their callbacks.
 */
export async function reconcileCallRecords(deps: {
  store: Store; instanceId: string; provider?: RecordProvider; crashedAt: number; log: Logger;
}): Promise<RecordReconcileReport> {
  const open = await deps.store.calls.listOpenOf(deps.instanceId);
  const report: RecordReconcileReport = { open: open.length, fromProvider: 0, lost: 0, live: 0, hungUp: 0 };
  for (const call of open) report[await settle(call, deps)]++;
  if (open.length) deps.log.info(report, 'reconciled call records left open by the previous run');
  return report;
}

async function settle(call: CallRecord, deps: { store: Store; provider?: RecordProvider; crashedAt: number; log: Logger }): Promise<Exclude<keyof RecordReconcileReport, 'open'>> {
  const lost = async () => {
    await deps.store.calls.end(call.id, { reason: 'lost', at: Math.max(deps.crashedAt, call.createdAt) });
    return 'lost' as const;
  };
  if (call.provider !== 'twilio' || !call.providerCallId || !deps.provider) return lost();
  let state: ProviderCallState;
  try {
    state = await deps.provider.fetch(call.providerCallId);
  } catch (err) {
    deps.log.warn({ callId: call.id, err: (err as Error).message }, 'provider cannot say what became of the call; ending it as lost');
    return lost();
  }
  if (state.answeredBy) await deps.store.calls.setAnsweredBy(call.id, state.answeredBy);
  if (isFinal(state.status)) {
    await deps.store.calls.end(call.id, {
      reason: call.mediaAt !== null ? 'lost' : 'provider-ended', providerStatus: state.status, at: state.endTime?.getTime() ?? deps.crashedAt,
    });
    return 'fromProvider';
  }
  if (call.mediaAt === null) return 'live';
  // Its media stream died with the previous run: nobody is talking to the person any more.
  await deps.provider.hangup(call.providerCallId, state.status === 'in-progress' ? 'completed' : 'canceled').catch(() => undefined);
  await deps.store.calls.end(call.id, { reason: 'lost', providerStatus: state.status === 'in-progress' ? 'completed' : 'canceled' });
  return 'hungUp';
}
