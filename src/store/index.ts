import { CallRecords } from './calls.js';
import { Campaigns } from './campaigns.js';
import { createDatabase, type DatabaseHandle, type DatabaseOptions } from './database.js';
import { DoNotCall } from './do-not-call.js';
import { Recipients } from './recipients.js';

export * from './schema.js';
export * from './database.js';
export type { Dialect } from './dialect.js';
export type { StoreContext } from './context.js';
export * from './calls.js';
export * from './campaigns.js';
export * from './recipients.js';
export * from './do-not-call.js';

/** The database plus one instance of each repository. */
export interface Store {
  database: DatabaseHandle;
  calls: CallRecords;
  campaigns: Campaigns;
  recipients: Recipients;
  doNotCall: DoNotCall;
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
    close: () => database.close(),
  };
}
