import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from '../dialect.js';
import { initialMigration } from './001-initial.js';
import { callLifecycleMigration } from './002-call-lifecycle.js';
import { callMediaSecurityMigration } from './003-call-media-security.js';
import { webhooksMigration } from './004-webhooks.js';

/**
 * Migrations live in code (not read from a folder at run time) so they ship
 * inside the build and run identically under tsx, vitest and dist/.
 * Names sort lexically: keep the zero-padded prefix when adding one.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '001-initial': initialMigration(dialect),
    '002-call-lifecycle': callLifecycleMigration,
    '003-call-media-security': callMediaSecurityMigration(),
    '004-webhooks': webhooksMigration(dialect),
  };
}

class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * Brings the schema to the latest version; throws with the failing migration's name.
 * On PostgreSQL pass the schema in use: without it Kysely takes a migration
 * table in ANY schema as ours, and another schema's tables would fool it.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider(dialect), migrationTableSchema: schema });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error !== undefined) {
    const where = failed ? ` (migration ${failed.migrationName})` : '';
    throw new Error(`database migration failed${where}: ${describe(error)}`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
