import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';
import type { Database } from './schema.js';

/** What every repository needs: the query builder, the engine, and a clock. */
export interface StoreContext {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Epoch ms; injectable so tests can pin time. Default Date.now. */
  now?: () => number;
}
