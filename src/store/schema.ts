import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types as they sit in the database, for both SQLite and PostgreSQL.
 *
 * Conventions (kept identical on both engines so one code path serves both):
 * - Timestamps are epoch milliseconds (INTEGER in SQLite, BIGINT in PostgreSQL).
 *   Integers compare and add cheaply (`next_attempt_at <= now`, `now + retryDelay`)
 *   and never suffer from time zone or text-format drift.
 * - JSON values are stored as TEXT and (de)serialised by the repositories;
 *   `json`/`jsonb` would split the code path between engines.
 * - Enumerations are TEXT; their allowed values live in the unions below.
 */

export type CallDirection = 'inbound' | 'outbound';
export type CallProvider = 'twilio' | 'sip';
/** Twilio's vocabulary, which SIP outcomes map onto. */
export type CallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'no-answer'
  | 'failed'
  | 'canceled';
export const ACTIVE_CALL_STATUSES: readonly CallStatus[] = ['queued', 'ringing', 'in-progress'];
/** Provider statuses that end a call (Twilio's final CallStatus values). */
export type FinalCallStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export const FINAL_CALL_STATUSES: readonly FinalCallStatus[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
/** The call record's own state machine: it only ever moves forward (call-record-machine.ts). */
export type CallState = 'queued' | 'ringing' | 'in-progress' | 'ended';
export const CALL_STATES: readonly CallState[] = ['queued', 'ringing', 'in-progress', 'ended'];

export type CampaignType = 'agent' | 'broadcast';
export type CampaignStatus = 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';

export type RecipientStatus =
  | 'pending'
  | 'dialing'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'no-answer'
  | 'busy'
  | 'failed'
  | 'voicemail'
  | 'cancelled'
  | 'skipped-dnc'
  | 'invalid';
export const RECIPIENT_STATUSES: readonly RecipientStatus[] = [
  'pending', 'dialing', 'ringing', 'in-progress', 'completed', 'no-answer',
  'busy', 'failed', 'voicemail', 'cancelled', 'skipped-dnc', 'invalid',
];
/** Statuses after which a recipient is never dialled again. */
export const FINAL_RECIPIENT_STATUSES: readonly RecipientStatus[] = [
  'completed', 'voicemail', 'cancelled', 'skipped-dnc', 'invalid',
];

/** A value that survives JSON.stringify/parse unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** BIGINT comes back as a string from pg unless parsed; database.ts installs a parser. */
type Millis = ColumnType<number, number, number>;

export interface CallsTable {
  id: string;
  direction: CallDirection;
  provider: CallProvider;
  provider_call_id: string | null;
  from_number: string | null;
  to_number: string | null;
  agent_id: string | null;
  status: CallStatus;
  created_at: Millis;
  answered_at: Millis | null;
  ended_at: Millis | null;
  end_reason: string | null;
  transcript: string | null;
  campaign_id: string | null;
  recipient_id: number | null;
  metadata: string | null;
  /** SIP signalling transport (udp, tcp, tls); NULL for Twilio. */
  sip_transport: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1 = SRTP media, 0 = plain RTP; NULL for Twilio. */
  srtp: ColumnType<number | null, number | null | undefined, number | null>;
  srtp_suite: ColumnType<string | null, string | null | undefined, string | null>;
  state: ColumnType<CallState, CallState | undefined, CallState>;
  provider_status: FinalCallStatus | null;
  answered_by: string | null;
  instance_id: string | null;
  error_code: string | null;
  media_at: Millis | null;
  /** Retention deleted the transcript and recording at this time. */
  purged_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface InstancesTable {
  id: string;
  started_at: Millis;
  heartbeat_at: Millis;
}

export interface DialPacingTable {
  id: string;
  last_at: Millis;
}

export interface CallControlTable {
  id: string;
  target: string;
  request: string;
  reply: string | null;
  created_at: Millis;
}

export interface CampaignsTable {
  id: string;
  name: string;
  type: CampaignType;
  agent_id: string | null;
  status: CampaignStatus;
  settings: string;
  scheduled_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface CampaignRecipientsTable {
  id: Generated<number>;
  campaign_id: string;
  row_number: number | null;
  phone_number: string;
  variables: string;
  overrides: string | null;
  timezone: string | null;
  status: RecipientStatus;
  attempts: number;
  next_attempt_at: Millis | null;
  last_call_id: string | null;
  claimed_by: string | null;
  claimed_at: Millis | null;
  dial_intent_at: Millis | null;
  outcome: string | null;
  updated_at: Millis;
}

export interface DoNotCallTable {
  phone_number: string;
  reason: string | null;
  created_at: Millis;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookOutboxTable {
  seq: Generated<number>;
  event_id: string;
  call_id: string;
  type: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  created_at: Millis;
  next_attempt_at: Millis;
  delivered_at: Millis | null;
  lease_owner: string | null;
  lease_until: Millis | null;
  last_error: string | null;
  last_status: number | null;
  enrich_until: Millis | null;
  conversation_id: string | null;
}

export interface Database {
  calls: CallsTable;
  webhook_outbox: WebhookOutboxTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  do_not_call: DoNotCallTable;
  instances: InstancesTable;
  dial_pacing: DialPacingTable;
  call_control: CallControlTable;
}

export type CallRow = Selectable<CallsTable>;
export type NewCallRow = Insertable<CallsTable>;
export type CallRowUpdate = Updateable<CallsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type RecipientRow = Selectable<CampaignRecipientsTable>;
export type NewRecipientRow = Insertable<CampaignRecipientsTable>;
export type OutboxRow = Selectable<WebhookOutboxTable>;
