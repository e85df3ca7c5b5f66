import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../../src/store/index.js';
import { dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchemaName } from '../../support/postgres.js';

/** A database that several processes open: a SQLite file or a PostgreSQL schema, with the env a child needs to find it. */
export interface SharedDb {
  name: 'sqlite' | 'postgres';
  skip: string | undefined;
  open(): Promise<{ store: Store; childEnv: Record<string, string>; cleanup(): Promise<void> }>;
}

export async function sharedDbs(): Promise<SharedDb[]> {
  const pgSkip = await postgresSkipReason();
  return [
    {
      name: 'sqlite',
      skip: undefined,
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'campaign-durable-'));
        const url = join(dir, 'bridge.sqlite');
        const store = await openStore({ url });
        return { store, childEnv: { CHILD_DB_URL: url }, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'postgres',
      skip: pgSkip,
      async open() {
        const schema = uniqueSchemaName('camp');
        const store = await openStore({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
        return { store, childEnv: { CHILD_DB_URL: TEST_DATABASE_URL, CHILD_PG_SCHEMA: schema }, cleanup: async () => { await store.close(); await dropSchema(schema); } };
      },
    },
  ];
}
