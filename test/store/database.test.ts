import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/store/database.js';
import { dialectOfUrl } from '../../src/store/dialect.js';
import { migrations } from '../../src/store/migrations/index.js';
import { dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchemaName } from '../support/postgres.js';

const TABLES = ['calls', 'campaign_recipients', 'campaigns', 'do_not_call'];

describe('dialectOfUrl', () => {
  it('picks postgres only for postgres URLs', () => {
    expect(dialectOfUrl('postgres://u@h/db')).toBe('postgres');
    expect(dialectOfUrl('postgresql://u@h/db')).toBe('postgres');
    expect(dialectOfUrl(undefined)).toBe('sqlite');
    expect(dialectOfUrl('sqlite:data/x.sqlite')).toBe('sqlite');
    expect(dialectOfUrl('/var/lib/bridge.sqlite')).toBe('sqlite');
  });
});

describe('createDatabase on SQLite', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'db-test-')), 'nested', 'data');
  afterAll(() => rmSync(join(dataDir, '..', '..'), { recursive: true, force: true }));

  it('creates data/bridge.sqlite on first start with WAL, busy_timeout and foreign keys', async () => {
    const handle = await createDatabase({ dataDir, busyTimeoutMs: 1234 });
    try {
      expect(handle.dialect).toBe('sqlite');
      expect(existsSync(join(dataDir, 'bridge.sqlite'))).toBe(true);
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(handle.db)).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(1234);
      const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(handle.db);
      expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(TABLES));
    } finally {
      await handle.close();
    }
  });

  it('migrates once: a second start finds the schema current and keeps data', async () => {
    const first = await createDatabase({ dataDir });
    await first.db.insertInto('do_not_call').values({ phone_number: '+14155550100', reason: null, created_at: 1 }).execute();
    await first.close();
    const second = await createDatabase({ dataDir });
    try {
      const rows = await second.db.selectFrom('do_not_call').selectAll().execute();
      expect(rows).toEqual([{ phone_number: '+14155550100', reason: null, created_at: 1 }]);
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(second.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations('sqlite')).sort());
    } finally {
      await second.close();
    }
  });

  it('accepts sqlite: URLs and bare paths', async () => {
    const file = join(dataDir, 'other', 'named.sqlite');
    for (const url of [`sqlite:${file}`, file]) {
      const handle = await createDatabase({ url });
      expect(handle.location).toBe(file);
      await handle.close();
    }
    expect(existsSync(file)).toBe(true);
    const memory = await createDatabase({ url: ':memory:' });
    expect(memory.location).toBe(':memory:');
    await memory.close();
  });

  it('enforces foreign keys like PostgreSQL does', async () => {
    const handle = await createDatabase({ dataDir });
    try {
      const orphan = handle.db
        .insertInto('campaign_recipients')
        .values({ campaign_id: 'nope', phone_number: '+1', variables: '{}', status: 'pending', attempts: 0, updated_at: 0 })
        .execute();
      await expect(orphan).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await handle.close();
    }
  });
});

const pgSkip = await postgresSkipReason();

describe.skipIf(pgSkip)(`createDatabase on PostgreSQL ${pgSkip ?? ''}`, () => {
  const schema = uniqueSchemaName();
  afterAll(() => dropSchema(schema));

  it('creates its tables inside the given schema, with BIGINT read back as numbers', async () => {
    const handle = await createDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 2 });
    try {
      expect(handle.dialect).toBe('postgres');
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(handle.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(TABLES));
      await handle.db.insertInto('do_not_call').values({ phone_number: '+1', reason: null, created_at: 1_700_000_000_123 }).execute();
      const row = await handle.db.selectFrom('do_not_call').select(['created_at', (eb) => eb.fn.countAll().as('n')]).groupBy('created_at').executeTakeFirstOrThrow();
      expect(row).toEqual({ created_at: 1_700_000_000_123, n: 1 });
    } finally {
      await handle.close();
    }
    // Reopening runs no migration twice.
    const again = await createDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 1 });
    await again.close();
  });

  it('migrates while other clients create and drop schemas of their own (the migrator lists every schema)', { timeout: 60_000 }, async () => {
    // Several instances or test runs on one database: a schema dropped while the migrator lists tables
    // made that listing fail with "schema … does not exist", naming the other client's schema.
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    let stop = false;
    let churned = 0;
    const churning = (async () => {
      while (!stop) {
        const other = uniqueSchemaName('churn');
        await churn.query(`create schema "${other}"`);
        await churn.query(`create table "${other}".t (id int)`);
        await churn.query(`drop schema "${other}" cascade`);
        churned++;
      }
    })();
    const opened: string[] = [];
    try {
      for (let i = 0; i < 25; i++) {
        const fresh = uniqueSchemaName();
        opened.push(fresh);
        const handle = await createDatabase({ url: TEST_DATABASE_URL, schema: fresh, poolSize: 1 });
        await handle.close();
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
      await Promise.all(opened.map((s) => dropSchema(s)));
    }
    expect(churned).toBeGreaterThan(25);
  });

  it('rejects schema names that would need quoting', async () => {
    await expect(createDatabase({ url: TEST_DATABASE_URL, schema: 'x; drop' })).rejects.toThrow(/invalid PostgreSQL schema/);
  });
});
