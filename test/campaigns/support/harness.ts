import pino from 'pino';
import { CampaignService } from '../../../src/campaigns/campaign-service.js';
import { ManualClock } from '../../../src/campaigns/clock.js';
import { Dispatcher, type DispatcherOptions } from '../../../src/campaigns/dispatcher.js';
import { RecipientLedger } from '../../../src/campaigns/ledger.js';
import { OutcomeRecorder } from '../../../src/campaigns/outcome-recorder.js';
import { DEFAULT_SETTINGS, type DialSettings } from '../../../src/campaigns/settings.js';
import type { CallStatus } from '../../../src/store/schema.js';
import type { Store } from '../../../src/store/index.js';
import type { Engine } from '../../store/engines.js';
import { FakeDialer } from './fake-dialer.js';

export const quietLog = pino({ level: 'silent' });

/** Monday 6 January 2025, 12:00 UTC. */
export const MONDAY_NOON_UTC = Date.UTC(2025, 0, 6, 12, 0, 0);

export interface Harness {
  store: Store;
  clock: ManualClock;
  dialer: FakeDialer;
  service: CampaignService;
  recorder: OutcomeRecorder;
  dispatcher: Dispatcher;
  /** One dispatch round, and the dials it started. */
  tick(): Promise<number>;
  /** The far end of a dialled call reports `status` (with AnsweredBy). */
  report(callIndex: number, status: CallStatus, answeredBy?: string): Promise<void>;
  campaign(name: string, settings: Partial<DialSettings>, numbers: (string | { phone: string; timezone: string | null })[], scheduledAt?: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function openHarness(engine: Engine, opts: Partial<Pick<DispatcherOptions, 'maxConcurrentCalls' | 'concurrencyShare' | 'callsPerSecond' | 'activeInbound'>> = {}): Promise<Harness> {
  const clock = new ManualClock(MONDAY_NOON_UTC);
  const { store, cleanup } = await engine.open({ now: () => clock.now() });
  const { db, dialect } = store.database;
  const dialer = new FakeDialer();
  const ledger = new RecipientLedger(db, dialect, () => clock.now());
  const recorder = new OutcomeRecorder(ledger, quietLog);
  const dispatcher = new Dispatcher({
    db, dialect, dialer, ledger, clock, log: quietLog, instanceId: 'test-1',
    maxConcurrentCalls: 100, concurrencyShare: 0.7, callsPerSecond: 1000, ...opts,
  });
  const service = new CampaignService(store, clock, quietLog);
  return {
    store, clock, dialer, service, recorder, dispatcher,
    async tick() {
      const n = await dispatcher.tick();
      await dispatcher.settled();
      return n;
    },
    async report(i, status, answeredBy) {
      const d = dialer.dials[i]!;
      await recorder.apply({ callId: d.callId, providerCallId: d.providerCallId, campaignId: d.campaignId!, recipientId: d.recipientId!, status, answeredBy, at: clock.now() });
    },
    async campaign(name, settings, numbers, scheduledAt) {
      const recipients = numbers.map((n) => (typeof n === 'string' ? { phoneNumber: n, timezone: null } : { phoneNumber: n.phone, timezone: n.timezone })).map((r, i) => ({ ...r, rowNumber: i + 2, variables: { n: String(i) } }));
      const created = await service.create({ name, agentId: 'agent_1', settings: { ...DEFAULT_SETTINGS, ...settings }, scheduledAt }, recipients);
      return created.campaign.id;
    },
    cleanup,
  };
}
