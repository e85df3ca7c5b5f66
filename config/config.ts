import { randomBytes, createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import { loadAgentsFile, type AgentsFile, type CallPolicySettings } from './call-policy.js';
import { describeIssue } from './problems.js';
import { envSchema, type Env } from './schema.js';
import { sipConfig, sipProblems, type SipConfig } from './sip.js';
import { ttsConfig, ttsProblems, type TtsConfig } from './tts.js';

export interface TwilioConfig {
  /** Caller ID for outbound calls unless a request names one. */
  fromNumber?: string;
  accountSid?: string;
  authToken?: string;
  validateSignatures: boolean;
  /** REST API base; a local stand-in in tests and offline runs. */
  apiUrl: string;
}

export interface Config {
  port: number;
  host: string;
  /** Base URL Twilio uses to reach us; drives TwiML URLs and signature checks. */
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  twilio: TwilioConfig;
  streamToken: { secret: Buffer; ttlSeconds: number; ephemeral: boolean };
  elevenlabs: {
    apiKey?: string; agentId?: string; apiUrl: string; connectTimeoutMs: number;
    /** Fetch the signed URL at the voice webhook / while ringing, not at stream start. */
    prefetchSignedUrl: boolean;
    /** Idle HTTPS connections to the API stay open this long for reuse. */
    httpKeepAliveMs: number;
  };
  /** SQLite file under dataDir unless `url` names PostgreSQL. */
  database: { url?: string; dataDir: string };
  /** Bearer token for the HTTP API; the API refuses every request without one. */
  apiToken?: string;
  /** Dashboard sign-in sessions: idle lifetime. */
  ui: { sessionTtlSeconds: number };
  limits: { maxConcurrentCalls: number; maxStreamMessageBytes: number; startTimeoutMs: number };
  media: { playoutLeadMs: number };
  /** Call behaviour for every agent unless AGENTS_FILE overrides it. */
  callPolicy: CallPolicySettings;
  /** Per-agent overrides (AGENTS_FILE). */
  agents: AgentsFile;
  shutdownGraceMs: number;
  /** Outbound campaigns: their share of maxConcurrentCalls, dial rate, number region, this process's id. */
  campaigns: { concurrencyShare: number; callsPerSecond: number; defaultRegion?: string; instanceId: string };
  /** Transient dial errors (429, 5xx, network): retries with exponential backoff and full jitter, no attempt used. */
  dialRetry: { attempts: number; baseMs: number; maxMs: number };
  /** Instances: heartbeat period (crash time after SIGKILL) and how long a forwarded live-control request may take. */
  instances: { heartbeatMs: number; controlForwardTimeoutMs: number };
  /** Text-to-speech for broadcast messages: engine, voice, cache. */
  tts: TtsConfig;
  sip: SipConfig;
  /** Post-call webhook and its outbox. */
  webhooks: WebhookConfig;
  /** Transcripts and recordings of calls older than this are deleted; undefined keeps them. */
  retentionDays?: number;
}

export interface WebhookConfig {
  postCallUrl?: string;
  secret?: string;
  timeoutMs: number;
  /** How long to wait for ElevenLabs' analysis of the conversation before sending without it. */
  analysisWaitMs: number;
  maxAgeMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates every setting at once and reports all problems together. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    // One line per variable: a value failing two checks (e.g. URL and scheme) is reported once.
    const first = parsed.error.issues.filter((i, n, all) => all.findIndex((j) => j.path.join('.') === i.path.join('.')) === n);
    throw new ConfigError(first.map((i) => describeIssue(i, cleaned)));
  }
  const crossProblems = [...ttsProblems(parsed.data), ...sipProblems(parsed.data), ...agentFailureProblems(parsed.data)];
  if (crossProblems.length) throw new ConfigError(crossProblems);
  try {
    const agents: AgentsFile = parsed.data.AGENTS_FILE ? loadAgentsFile(parsed.data.AGENTS_FILE) : { defaults: {}, agents: {} };
    return { ...toConfig(parsed.data), agents, sip: sipConfig(parsed.data) };
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
}

/** `transfer` needs somewhere to transfer to; without it the policy would silently act as `hangup`. */
function agentFailureProblems(e: Env): string[] {
  return e.AGENT_FAILURE_POLICY === 'transfer' && !e.AGENT_FAILURE_TRANSFER_TO
    ? ['AGENT_FAILURE_POLICY="transfer": expected AGENT_FAILURE_TRANSFER_TO to be set too (a transfer rule\'s number or label)']
    : [];
}

function callPolicy(e: Env): CallPolicySettings {
  return {
    bargeIn: e.BARGE_IN,
    silenceEndCallTimeoutSeconds: e.SILENCE_END_CALL_TIMEOUT_SECONDS ?? null,
    maxDurationSeconds: e.MAX_CALL_DURATION_SECONDS ?? null,
    mediaTimeoutSeconds: e.MEDIA_TIMEOUT_SECONDS,
    endCallGraceMs: e.END_CALL_GRACE_MS,
    endCallToolName: e.END_CALL_TOOL_NAME,
    dtmf: { mode: e.DTMF_MODE, actions: {} },
    answeringMachine: { action: 'hangup' },
    transfer: {
      toolName: e.TRANSFER_TOOL_NAME,
      rules: [],
      defaultMode: e.TRANSFER_MODE,
      silent: false,
      acceptKey: '1',
      fallback: { action: 'agent' },
    },
    agentFailure: {
      policy: e.AGENT_FAILURE_POLICY,
      transferTo: e.AGENT_FAILURE_TRANSFER_TO,
      fallbackAudio: e.AGENT_FALLBACK_AUDIO,
      fallbackText: e.AGENT_FALLBACK_TEXT,
      responseTimeoutSeconds: e.AGENT_RESPONSE_TIMEOUT_SECONDS,
    },
    personalization: {
      url: e.CONVERSATION_INIT_WEBHOOK_URL,
      headers: e.CONVERSATION_INIT_WEBHOOK_HEADERS ?? {},
      timeoutMs: e.CONVERSATION_INIT_WEBHOOK_TIMEOUT_MS,
      onFailure: e.CONVERSATION_INIT_WEBHOOK_ON_FAILURE,
    },
    recording: e.RECORDING,
  };
}

function toConfig(e: Env): Omit<Config, 'agents' | 'sip'> {
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    apiToken: e.API_TOKEN,
    ui: { sessionTtlSeconds: e.UI_SESSION_TTL_SECONDS },
    twilio: {
      fromNumber: e.TWILIO_FROM_NUMBER,
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      validateSignatures: e.TWILIO_SIGNATURE_VALIDATION,
      apiUrl: e.TWILIO_API_URL,
    },
    streamToken: { ...streamTokenSecret(e), ttlSeconds: e.STREAM_TOKEN_TTL_SECONDS },
    elevenlabs: {
      apiKey: e.ELEVENLABS_API_KEY,
      agentId: e.ELEVENLABS_AGENT_ID,
      apiUrl: e.ELEVENLABS_API_URL,
      connectTimeoutMs: e.AGENT_CONNECT_TIMEOUT_MS,
      prefetchSignedUrl: e.AGENT_PREFETCH_SIGNED_URL,
      httpKeepAliveMs: e.AGENT_HTTP_KEEPALIVE_MS,
    },
    limits: {
      maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
      maxStreamMessageBytes: e.MAX_STREAM_MESSAGE_BYTES,
      startTimeoutMs: e.START_TIMEOUT_MS,
    },
    media: { playoutLeadMs: e.PLAYOUT_LEAD_MS },
    callPolicy: callPolicy(e),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    campaigns: {
      concurrencyShare: e.CAMPAIGN_CONCURRENCY_SHARE,
      callsPerSecond: e.CALLS_PER_SECOND,
      defaultRegion: e.DEFAULT_REGION,
      instanceId: e.INSTANCE_ID ?? hostname(),
    },
    dialRetry: { attempts: e.DIAL_RETRY_ATTEMPTS, baseMs: e.DIAL_RETRY_BASE_MS, maxMs: e.DIAL_RETRY_MAX_MS },
    instances: { heartbeatMs: e.INSTANCE_HEARTBEAT_MS, controlForwardTimeoutMs: e.CONTROL_FORWARD_TIMEOUT_MS },
    tts: ttsConfig(e),
    webhooks: {
      postCallUrl: e.POST_CALL_WEBHOOK_URL,
      secret: e.POST_CALL_WEBHOOK_SECRET,
      timeoutMs: e.POST_CALL_WEBHOOK_TIMEOUT_MS,
      analysisWaitMs: e.POST_CALL_ANALYSIS_WAIT_SECONDS * 1000,
      maxAgeMs: e.WEBHOOK_MAX_AGE_HOURS * 3600_000,
    },
    retentionDays: e.RETENTION_DAYS,
  };
}

/**
 * The stream-token key. An explicit secret wins; otherwise one is derived from
 * the Twilio auth token, so every instance sharing that token accepts the
 * others' tokens; with neither, a random per-process key (single instance only).
 */
function streamTokenSecret(e: Env): { secret: Buffer; ephemeral: boolean } {
  if (e.STREAM_TOKEN_SECRET) return { secret: Buffer.from(e.STREAM_TOKEN_SECRET), ephemeral: false };
  if (e.TWILIO_AUTH_TOKEN) {
    return { secret: createHmac('sha256', e.TWILIO_AUTH_TOKEN).update('bridge-stream-token-v1').digest(), ephemeral: false };
  }
  return { secret: randomBytes(32), ephemeral: true };
}
