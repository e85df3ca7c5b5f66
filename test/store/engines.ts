import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchemaName } from '../support/postgres.js';

/** One entry per engine: the same test suite runs against each. */
export interface Engine {
  name: 'sqlite' | 'postgres';
  skip: string | undefined;
  /** A fresh, migrated store; `cleanup` removes its file or schema. */
  open(options?: { now?: () => number }): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

export async function engines(): Promise<Engine[]> {
  const pgSkip = await postgresSkipReason();
  return [
    {
      name: 'sqlite',
      skip: undefined,
      async open(options = {}) {
        const dataDir = mkdtempSync(join(tmpdir(), 'store-test-'));
        const store = await openStore({ dataDir, ...options });
        return { store, cleanup: async () => { await store.close(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'postgres',
      skip: pgSkip,
      async open(options = {}) {
        const schema = uniqueSchemaName();
        const store = await openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4, ...options });
        return { store, cleanup: async () => { await store.close(); await dropSchema(schema); } };
      },
    },
  ];
}
