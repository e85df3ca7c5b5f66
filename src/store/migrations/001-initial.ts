import { sql, type Expression, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * Initial schema. Written once for both engines: only TEXT, INTEGER and BIGINT
 * columns, JSON as TEXT, timestamps as epoch-ms BIGINT (see schema.ts).
 *
 * Statuses are deliberately NOT guarded by CHECK constraints: the dispatcher
 * will grow the status sets, and SQLite cannot alter a CHECK without
 * rebuilding the table. Stable vocabularies (direction, provider, type) are.
 */
export function initialMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await createCampaigns(db);
      await createRecipients(db, dialect);
      await createCalls(db);
      await createDoNotCall(db);
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['calls', 'campaign_recipients', 'do_not_call', 'campaigns']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

async function createCampaigns(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sqlIn('type', ['agent', 'broadcast'])))
    .addColumn('agent_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('scheduled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('campaigns_status_idx').on('campaigns').columns(['status', 'scheduled_at']).execute();
}

async function createRecipients(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('campaign_recipients')
    // SQLite: INTEGER PRIMARY KEY is the rowid alias and numbers itself;
    // PostgreSQL needs an identity column for the same effect.
    .addColumn('id', 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey(),
    )
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('row_number', 'integer')
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('variables', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('overrides', 'text')
    .addColumn('timezone', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    // No FK to calls: the dispatcher records its dial intent (and may set
    // last_call_id) before the call row exists, and a circular FK between
    // calls and recipients would complicate inserts on PostgreSQL.
    .addColumn('last_call_id', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'bigint')
    .addColumn('dial_intent_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('campaign_recipients_campaign_phone_uq', ['campaign_id', 'phone_number'])
    .execute();
  // The claim query: "due pending rows", across campaigns.
  await db.schema
    .createIndex('campaign_recipients_due_idx')
    .on('campaign_recipients')
    .columns(['status', 'next_attempt_at'])
    .execute();
  // Progress counts per campaign (GROUP BY status) without scanning other campaigns.
  await db.schema
    .createIndex('campaign_recipients_campaign_status_idx')
    .on('campaign_recipients')
    .columns(['campaign_id', 'status'])
    .execute();
}

async function createCalls(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull().check(sqlIn('direction', ['inbound', 'outbound'])))
    .addColumn('provider', 'text', (c) => c.notNull().check(sqlIn('provider', ['twilio', 'sip'])))
    .addColumn('provider_call_id', 'text')
    .addColumn('from_number', 'text')
    .addColumn('to_number', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('end_reason', 'text')
    .addColumn('transcript', 'text')
    .addColumn('campaign_id', 'text', (c) => c.references('campaigns.id').onDelete('set null'))
    .addColumn('recipient_id', 'integer', (c) => c.references('campaign_recipients.id').onDelete('set null'))
    .addColumn('metadata', 'text')
    .execute();
  // Status callbacks look calls up by CallSid / SIP Call-ID. NULLs stay distinct on both engines.
  await db.schema
    .createIndex('calls_provider_call_id_uq')
    .on('calls')
    .columns(['provider', 'provider_call_id'])
    .unique()
    .execute();
  await db.schema.createIndex('calls_status_idx').on('calls').column('status').execute();
  await db.schema.createIndex('calls_campaign_idx').on('calls').columns(['campaign_id', 'recipient_id']).execute();
}

async function createDoNotCall(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('do_not_call')
    .addColumn('phone_number', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** `col IN ('a', 'b')` with inlined literals: DDL cannot take bound parameters. */
function sqlIn(column: string, values: readonly string[]): Expression<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
