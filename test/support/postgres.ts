import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Tests may read env (src/ may not): where the real PostgreSQL for tests lives. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<string | undefined> | undefined;

/**
 * Undefined when PostgreSQL answers, else a skip reason. Under CI=true an
 * unreachable server is an error, so a skipped suite can never pass CI silently
 * (same rule as haveTool in tools.ts).
 */
export function postgresSkipReason(): Promise<string | undefined> {
  probe ??= ping().then((error) => {
    if (error === undefined) return undefined;
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is required under CI=true but ${TEST_DATABASE_URL} is unreachable: ${error}`);
    }
    return `skipped: PostgreSQL at ${TEST_DATABASE_URL} unreachable (${error})`;
  });
  return probe;
}

async function ping(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no parallel run will pick: each test file gets its own tables. */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
