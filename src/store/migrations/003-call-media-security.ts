import type { Kysely, Migration } from 'kysely';

/**
 * Media-security facts per call (issue 12): the signalling transport of a SIP
 * call (udp, tcp, tls), whether its media was SRTP (0/1), and the SRTP suite.
 * NULL for Twilio calls and for rows written before this migration. INTEGER
 * for the flag: SQLite has no boolean, and both engines read 0/1 alike.
 */
export function callMediaSecurityMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').addColumn('sip_transport', 'text').execute();
      await db.schema.alterTable('calls').addColumn('srtp', 'integer').execute();
      await db.schema.alterTable('calls').addColumn('srtp_suite', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['srtp_suite', 'srtp', 'sip_transport']) {
        await db.schema.alterTable('calls').dropColumn(column).execute();
      }
    },
  };
}
