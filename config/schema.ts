import { z } from 'zod';
import { sipEnvShape } from './sip.js';
import { ttsEnvShape } from './tts.js';

/** Accepts the usual spellings of a boolean in an environment variable. */
const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

/** A JSON object of string values in one variable (e.g. extra HTTP headers). */
const jsonObjectOfStrings = z.string().transform((text, ctx) => {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  const parsed = z.record(z.string().min(1), z.string()).safeParse(v);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object of string values, e.g. {"X-Secret":"..."}' });
    return z.NEVER;
  }
  return parsed.data;
});

/**
 * Every setting the bridge reads, by environment variable name. Defaults make
 * `npm start` work on a fresh machine with no external service.
 */
export const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(8).optional(),
  TWILIO_SIGNATURE_VALIDATION: envBoolean.default(true),
  TWILIO_API_URL: httpUrl.default('https://api.twilio.com'),
  STREAM_TOKEN_SECRET: z.string().min(16).optional(),
  STREAM_TOKEN_TTL_SECONDS: positiveInt.max(3600).default(60),

  ELEVENLABS_API_KEY: z.string().min(1).optional(),
  ELEVENLABS_AGENT_ID: z.string().min(1).optional(),
  ELEVENLABS_API_URL: httpUrl.default('https://api.elevenlabs.io'),
  AGENT_CONNECT_TIMEOUT_MS: positiveInt.default(5000),
  AGENT_PREFETCH_SIGNED_URL: envBoolean.default(true),
  AGENT_HTTP_KEEPALIVE_MS: positiveInt.max(600_000).default(60_000),

  DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: z.string().min(1).optional(),
  API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  UI_SESSION_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(8 * 3600),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number').optional(),

  MAX_CONCURRENT_CALLS: positiveInt.default(200),
  PLAYOUT_LEAD_MS: z.coerce.number().int().min(20).max(2000).default(200),
  MAX_STREAM_MESSAGE_BYTES: positiveInt.min(1024).default(64 * 1024),
  START_TIMEOUT_MS: positiveInt.default(5000),
  AGENTS_FILE: z.string().min(1).optional(),
  BARGE_IN: envBoolean.default(true),
  SILENCE_END_CALL_TIMEOUT_SECONDS: z.coerce.number().positive().optional(),
  MAX_CALL_DURATION_SECONDS: z.coerce.number().positive().optional(),
  MEDIA_TIMEOUT_SECONDS: z.coerce.number().positive().default(15),
  END_CALL_GRACE_MS: z.coerce.number().int().min(0).max(10_000).default(300),
  END_CALL_TOOL_NAME: z.string().min(1).default('end_call'),
  DTMF_MODE: z.enum(['contextual_update', 'user_message', 'off']).default('contextual_update'),
  AGENT_FAILURE_POLICY: z.enum(['retry', 'hangup', 'transfer']).default('hangup'),
  AGENT_FAILURE_TRANSFER_TO: z.string().min(1).optional(),
  AGENT_FALLBACK_AUDIO: z.string().min(1).optional(),
  AGENT_FALLBACK_TEXT: z.string().trim().min(1).max(1000).optional(),
  TRANSFER_TOOL_NAME: z.string().min(1).default('transfer_to_number'),
  TRANSFER_MODE: z.enum(['cold', 'warm']).default('warm'),
  AGENT_RESPONSE_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),

  CONVERSATION_INIT_WEBHOOK_URL: httpUrl.optional(),
  CONVERSATION_INIT_WEBHOOK_HEADERS: jsonObjectOfStrings.optional(),
  CONVERSATION_INIT_WEBHOOK_TIMEOUT_MS: positiveInt.max(30_000).default(2000),
  CONVERSATION_INIT_WEBHOOK_ON_FAILURE: z.enum(['defaults', 'refuse']).default('defaults'),
  RECORDING: z.enum(['off', 'on']).default('off'),
  POST_CALL_WEBHOOK_URL: httpUrl.optional(),
  POST_CALL_WEBHOOK_SECRET: z.string().min(8).optional(),
  POST_CALL_WEBHOOK_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),
  POST_CALL_ANALYSIS_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  WEBHOOK_MAX_AGE_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  RETENTION_DAYS: z.coerce.number().positive().optional(),

  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(5000),

  CAMPAIGN_CONCURRENCY_SHARE: z.coerce.number().gt(0).max(1).default(0.7),
  CALLS_PER_SECOND: z.coerce.number().positive().max(1000).default(1),
  DEFAULT_REGION: z.string().regex(/^[A-Za-z]{2}$/, 'a two-letter country code, e.g. US').transform((v) => v.toUpperCase()).optional(),
  DIAL_RETRY_ATTEMPTS: z.coerce.number().int().min(0).max(20).default(4),
  DIAL_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(500),
  DIAL_RETRY_MAX_MS: z.coerce.number().int().min(1).max(600_000).default(10_000),
  CONTROL_FORWARD_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  INSTANCE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  INSTANCE_ID: z.string().regex(/^[\w.:-]{1,100}$/, 'letters, digits, . _ : - (at most 100)').optional(),

  ...ttsEnvShape,
  ...sipEnvShape,
});

export type Env = z.infer<typeof envSchema>;
