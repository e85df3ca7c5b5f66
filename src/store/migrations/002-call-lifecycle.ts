import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Call lifecycle (issue #13):
 * - `calls.state`: the record's own state machine (queued → ringing →
 *   in-progress → ended), separate from `status` (Twilio's vocabulary);
 *   `provider_status` keeps the provider's own final status beside our
 *   `end_reason`; `answered_by` the AMD result; `instance_id` which bridge
 *   instance owns the call (dialled it, or holds its media: reconciled by it
 *   after a crash, live control forwarded to it); `media_at` when a media
 *   session attached (a held call is ended by its session); `error_code` the provider's error on a refused dial.
 * - `instances`: a heartbeat per bridge instance (crash time = last beat).
 * - `dial_pacing`: the account's shared dial-slot ledger (CALLS_PER_SECOND over all instances).
 * - `call_control`: live-control requests forwarded to the holding instance (PostgreSQL).
 */
export const callLifecycleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('calls').addColumn('state', 'text', (c) => c.notNull().defaultTo('queued')).execute();
    await db.schema.alterTable('calls').addColumn('provider_status', 'text').execute();
    await db.schema.alterTable('calls').addColumn('answered_by', 'text').execute();
    await db.schema.alterTable('calls').addColumn('instance_id', 'text').execute();
    await db.schema.alterTable('calls').addColumn('error_code', 'text').execute();
    await db.schema.alterTable('calls').addColumn('media_at', 'bigint').execute();
    await sql`update calls set state = case when ended_at is not null then 'ended' when status in ('ringing', 'in-progress') then status else 'queued' end`.execute(db);
    await db.schema.createIndex('calls_instance_state_idx').on('calls').columns(['instance_id', 'state']).execute();
    await db.schema
      .createTable('instances')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('dial_pacing')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('call_control')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('reply', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['call_control', 'dial_pacing', 'instances']) await db.schema.dropTable(t).ifExists().execute();
    await db.schema.dropIndex('calls_instance_state_idx').ifExists().execute();
    for (const c of ['media_at', 'error_code', 'instance_id', 'answered_by', 'provider_status', 'state']) await db.schema.alterTable('calls').dropColumn(c).execute();
  },
};
