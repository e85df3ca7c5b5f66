import { CallRecords } from './calls.js';
import { Campaigns } from './campaigns.js';
import { createDatabase, type DatabaseHandle, type DatabaseOptions } from './database.js';
import { DoNotCall } from './do-not-call.js';
import { Recipients } from './recipients.js';
import { CallHistory } from './call-history.js';
import { WebhookOutbox } from './outbox.js';

export * from './schema.js';
export * from './database.js';
export type { Dialect } from './dialect.js';
export type { StoreContext } from './context.js';
export * from './calls.js';
export * from './campaigns.js';
export * from './recipients.js';
export * from './do-not-call.js';
export * from './outbox.js';
export * from './call-history.js';

/** The database plus one instance of each repository. */
export interface Store {
  database: DatabaseHandle;
  calls: CallRecords;
  campaigns: Campaigns;
  recipients: Recipients;
  doNotCall: DoNotCall;
  outbox: WebhookOutbox;
  history: CallHistory;
  close(): Promise<void>;
}

export async function openStore(options: DatabaseOptions & { now?: () => number } = {}): Promise<Store> {
  const database = await createDatabase(options);
  const ctx = { db: database.db, dialect: database.dialect, now: options.now };
  return {
    database,
    calls: new CallRecords(ctx),
    campaigns: new Campaigns(ctx),
    recipients: new Recipients(ctx),
    doNotCall: new DoNotCall(ctx),
    outbox: new WebhookOutbox(ctx),
    history: new CallHistory(ctx),
    close: () => database.close(),
  };
}
