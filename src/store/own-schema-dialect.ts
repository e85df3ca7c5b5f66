import { PostgresDialect, sql, type DatabaseIntrospector, type DatabaseMetadata, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

/**
 * PostgreSQL dialect whose introspection sees only the schema in use.
 *
 * Kysely's migrator asks the introspector whether its own tables exist, and
 * Kysely's PostgreSQL introspector answers by listing the tables of every
 * schema with has_schema_privilege() on each name. A schema that another
 * client (another service on the database, another test run) drops during
 * that query fails it with SQLSTATE 3F000, "schema … does not exist", naming
 * the other client's schema, and our migration with it. Listing only
 * current_schema() (the first schema on our search_path) asks nothing about
 * anyone else's.
 */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db, super.createIntrospector(db));
  }
}

class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>, private readonly all: DatabaseIntrospector) {}

  getSchemas(): Promise<SchemaMetadata[]> {
    return this.all.getSchemas(); // a plain pg_namespace listing: no per-schema function call
  }

  /** Tables and views of current_schema(), names only (the migrator reads no columns). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
      order by c.relname`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
