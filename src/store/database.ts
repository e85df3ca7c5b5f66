import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { dialectOfUrl, type Dialect } from './dialect.js';
import { migrateToLatest } from './migrations/index.js';
import { OwnSchemaPostgresDialect } from './own-schema-dialect.js';
import type { Database } from './schema.js';

export interface DatabaseOptions {
  /**
   * `postgres://…` / `postgresql://…` selects PostgreSQL. Anything else is
   * SQLite: unset means `<dataDir>/bridge.sqlite`, `sqlite:<path>` or a bare
   * path names the file, `:memory:` keeps it in memory (tests only).
   */
  url?: string;
  /** Where the default SQLite file is created. Default `data`. */
  dataDir?: string;
  /** PostgreSQL only: schema to create (if missing) and put first on search_path. */
  schema?: string;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
  /** SQLite: how long a writer waits for another's lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Run migrations on open. Default true. */
  migrate?: boolean;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives (file path, or the url without password), for logs. */
  location: string;
  /** PostgreSQL: how to open one more connection of our own (LISTEN needs a dedicated one). */
  connection?: pg.ClientConfig;
  close(): Promise<void>;
}

/** Opens (and by default migrates) the store: one Kysely code path for both engines. */
export async function createDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const dialect = dialectOfUrl(options.url);
  const opened = dialect === 'postgres' ? await openPostgres(options) : openSqlite(options);
  const handle: DatabaseHandle = {
    ...opened,
    dialect,
    close: () => opened.db.destroy(),
  };
  if (options.migrate !== false) {
    try {
      const schema = dialect === 'postgres' ? await currentSchema(handle.db) : undefined;
      await migrateToLatest(handle.db as Kysely<unknown>, dialect, schema);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  return handle;
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}

function sqliteFile(options: DatabaseOptions): string {
  const url = options.url?.trim();
  if (!url) return resolve(defaultSqlitePath(options.dataDir ?? 'data'));
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  return path === ':memory:' ? path : resolve(path);
}

function openSqlite(options: DatabaseOptions): { db: Kysely<Database>; location: string } {
  const file = sqliteFile(options);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  // WAL lets readers (status pages) run while the dispatcher writes;
  // synchronous=NORMAL is durable enough under WAL and much faster.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  // Off by default in SQLite; PostgreSQL always enforces them, so match it.
  database.pragma('foreign_keys = ON');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), location: file };
}

async function openPostgres(options: DatabaseOptions): Promise<{ db: Kysely<Database>; location: string; connection: pg.ClientConfig }> {
  const schema = options.schema === undefined ? undefined : checkedSchemaName(options.schema);
  const connection: pg.ClientConfig = {
    connectionString: options.url,
    types: { getTypeParser: bigintAsNumber as typeof pg.types.getTypeParser },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  if (schema) {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return { db, connection, location: redactUrl(options.url ?? '') + (schema ? ` (schema ${schema})` : '') };
}

const INT8_OID = 20;

/**
 * pg returns BIGINT (our epoch-ms columns, COUNT(*)) as strings to avoid
 * precision loss beyond 2^53. Our values stay far below that, and SQLite
 * returns numbers, so parse them to keep one row type for both engines.
 */
function bigintAsNumber(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}

function checkedSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/i.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  return schema;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The default SQLite path for a data dir, for docs and config defaults. */
export function defaultSqlitePath(dataDir: string): string {
  return join(dataDir, 'bridge.sqlite');
}
