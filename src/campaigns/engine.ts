import type { CallEvents } from '../calls/call-events.js';
import type { OutboundDialer } from '../calls/outbound-dialer.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { CampaignService } from './campaign-service.js';
import { systemClock, type Clock } from './clock.js';
import { Dispatcher } from './dispatcher.js';
import { RecipientLedger } from './ledger.js';
import { OutcomeRecorder, type RecipientChange } from './outcome-recorder.js';
import type { OutboundCallControl, OutboundCallLookup } from './reconcile-port.js';
import { Reconciler, type ReconcileReport } from './reconciler.js';

export interface CampaignEngineOptions {
  store: Store;
  dialer: OutboundDialer;
  /** Where status callbacks (and session ends) are published. */
  events: CallEvents;
  lookup: OutboundCallLookup;
  /** Needed for cancel with hang-up. */
  control?: OutboundCallControl;
  log: Logger;
  clock?: Clock;
  /** Unique among running instances, stable across restarts (config INSTANCE_ID). */
  instanceId: string;
  maxConcurrentCalls: number;
  concurrencyShare: number;
  callsPerSecond: number;
  activeInbound?: () => number;
  /** How often active recipients are checked at the provider (lost callbacks, dead instances). Default 60 s; 0 = never. */
  sweepEveryMs?: number;
  /** Own active rows untouched this long are re-checked by the sweep. Default 120 s. */
  sweepAfterMs?: number;
  /** Other instances' rows untouched this long are presumed orphaned. Default 10 min. */
  staleAfterMs?: number;
  idleMs?: number;
  onChange?: (change: RecipientChange) => void;
  /** Runs once the recorder listens and before recipients are reconciled (e.g. closing call records a crash left open). */
  beforeReconcile?: () => Promise<unknown>;
}

export interface CampaignEngine {
  readonly service: CampaignService;
  readonly dispatcher: Dispatcher;
  readonly recorder: OutcomeRecorder;
  readonly reconciler: Reconciler;
  /** What the start-up reconciliation found. */
  readonly startup: ReconcileReport;
  /** Stops dispatching and listening; calls already placed go on at the provider. */
  stop(): Promise<void>;
}

/**
 * Wires the engine in its start-up order: listen to call events first (so
 * callbacks arriving meanwhile are not lost), reconcile what a previous run of
 * this instance left in flight, then dispatch.
 */
export async function startCampaignEngine(o: CampaignEngineOptions): Promise<CampaignEngine> {
  const clock = o.clock ?? systemClock;
  const { db, dialect } = o.store.database;
  const ledger = new RecipientLedger(db, dialect, () => clock.now());
  const recorder = new OutcomeRecorder(ledger, o.log, o.onChange);
  recorder.listen(o.events);
  const reconciler = new Reconciler({ db, ledger, recorder, lookup: o.lookup, instanceId: o.instanceId, clock, log: o.log, staleAfterMs: o.staleAfterMs });
  await o.beforeReconcile?.();
  await recorder.idle();
  const startup = await reconciler.run();
  const dispatcher = new Dispatcher({ ...o, db, dialect, ledger, clock });
  dispatcher.start();
  const sweep = startSweep(o, reconciler, dispatcher, clock);
  return {
    service: new CampaignService(o.store, clock, o.log, o.control),
    dispatcher,
    recorder,
    reconciler,
    startup,
    async stop() {
      clearInterval(sweep);
      await dispatcher.stop();
      await recorder.idle();
      recorder.stop();
    },
  };
}

function startSweep(o: CampaignEngineOptions, reconciler: Reconciler, dispatcher: Dispatcher, clock: Clock): NodeJS.Timeout | undefined {
  const every = o.sweepEveryMs ?? 60_000;
  if (every <= 0) return undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void reconciler
      .run({ ownBefore: clock.now() - (o.sweepAfterMs ?? 120_000), busy: dispatcher.inFlight })
      .catch((err: Error) => o.log.warn({ err: err.message }, 'reconcile sweep failed'))
      .finally(() => (running = false));
  }, every);
  timer.unref();
  return timer;
}
