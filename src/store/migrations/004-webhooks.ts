import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The post-call webhook outbox (one row per event, written in the transaction
 * that ends the call) and an index for listing calls by time (GET /calls
 * filters, cursor pagination, retention).
 */
export function webhooksMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_outbox')
        // Also the order of events: per call, a row is never sent before an earlier undelivered one.
        .addColumn('seq', 'integer', (c) => (dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
        // The Idempotency-Key: stable across retries and instances.
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('call_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('last_status', 'integer')
        // Until then the deliverer may wait for ElevenLabs' analysis; null = send as is.
        .addColumn('enrich_until', 'bigint')
        .addColumn('conversation_id', 'text')
        .execute();
      await db.schema.createIndex('webhook_outbox_due_idx').on('webhook_outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_outbox_call_idx').on('webhook_outbox').columns(['call_id', 'seq']).execute();
      // Retention: when a call's transcript and recording were deleted (its metadata stays).
      await db.schema.alterTable('calls').addColumn('purged_at', 'bigint').execute();
      await db.schema.createIndex('calls_created_idx').on('calls').columns(['created_at', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('calls_created_idx').ifExists().execute();
      await db.schema.alterTable('calls').dropColumn('purged_at').execute();
      await db.schema.dropTable('webhook_outbox').ifExists().execute();
    },
  };
}
