import { z } from 'zod';
import { broadcastSchema, type BroadcastSettings } from '../../config/index.js';
import type { MachineDetection } from '../calls/outbound-dialer.js';
import type { CampaignSettings } from '../store/index.js';
import type { RecipientStatus } from '../store/schema.js';
import { canonicalTimeZone } from './import/timezone.js';

/** What the engine does when answering machine detection reports a machine. */
export type MachineAction = 'hangup' | 'leave-message' | 'connect-agent';

/** A campaign's dialling rules, with every default filled in. Stored in `campaigns.settings`. */
export interface DialSettings {
  /** Local calling window 'HH:MM'–'HH:MM' (end exclusive; end < start spans midnight); null = any time. */
  window: { start: string; end: string } | null;
  /** IANA zone for recipients whose row and number give none. */
  timezone: string;
  /** Allowed local weekdays, 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** Dial attempts per recipient, first call included. */
  maxAttempts: number;
  /** Wait before an automatic retry. */
  retryDelaySeconds: number;
  /** Outcomes retried automatically while attempts < maxAttempts. */
  retryOn: RecipientStatus[];
  machineDetection: MachineDetection;
  machinePolicy: { action: MachineAction; messageAudio?: string };
  ringTimeoutSeconds?: number;
  /** Caller ID; the dialer's default when absent. */
  from?: string;
  /** Broadcast campaigns: the message template (with `{{variables}}`), voicemail variant, voice, menu. */
  broadcast?: BroadcastSettings;
  /** Record this campaign's calls (stereo WAV); the agent's setting otherwise. */
  recording?: 'on' | 'off';
}

export const RETRYABLE_STATUSES = ['no-answer', 'busy', 'failed', 'voicemail'] as const;
export const DEFAULT_MANUAL_RETRY: readonly RecipientStatus[] = RETRYABLE_STATUSES;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (24 h)');
const zone = z.string().refine((v) => canonicalTimeZone(v) !== null, 'an IANA time zone, e.g. Europe/Paris').transform((v) => canonicalTimeZone(v)!);
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** "mon-fri", "mon,wed,sat", "1-5", [1,2,3] → sorted weekday numbers. */
export function parseDays(input: string | number[]): number[] | null {
  if (Array.isArray(input)) return input.every((d) => Number.isInteger(d) && d >= 0 && d <= 6) ? [...new Set(input)].sort() : null;
  const out = new Set<number>();
  for (const part of input.toLowerCase().split(',').map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = part.split('-').map(dayNumber);
    if (a === undefined || a === null || b === null) return null;
    if (b === undefined) out.add(a);
    else for (let d = a; ; d = (d + 1) % 7) { out.add(d); if (d === b) break; }
  }
  return out.size ? [...out].sort() : null;
}

function dayNumber(text: string): number | null {
  const n = /^\d$/.test(text) ? Number(text) : DAY_NAMES.indexOf(text.slice(0, 3));
  return n >= 0 && n <= 6 && text.length > 0 ? n : null;
}

const windowInput = z.union([
  z.object({ start: hhmm, end: hhmm }),
  z.string().regex(/^\d\d:\d\d\s*-\s*\d\d:\d\d$/, 'a window as HH:MM-HH:MM').transform((v) => {
    const [start, end] = v.split('-').map((s) => s.trim());
    return { start: start!, end: end! };
  }).pipe(z.object({ start: hhmm, end: hhmm })),
]);

const daysInput = z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
  const days = parseDays(v);
  if (!days) ctx.addIssue({ code: 'custom', message: 'days as mon-fri, mon,wed or 0-6 numbers (0 = Sunday)' });
  return days ?? [];
});

/** The dialling settings as the API takes them (snake_case, strings allowed for multipart forms). */
export const dialSettingsInput = z.object({
  window: windowInput.nullable().optional(),
  timezone: zone.optional(),
  days: daysInput.optional(),
  max_attempts: z.coerce.number().int().min(1).max(20).optional(),
  retry_delay_seconds: z.coerce.number().min(0).max(7 * 86400).optional(),
  retry_on: z.array(z.enum(RETRYABLE_STATUSES)).optional(),
  amd: z.enum(['off', 'detect', 'detect-message-end']).optional(),
  machine_policy: z.enum(['hangup', 'leave-message', 'connect-agent']).optional(),
  machine_message_audio: z.string().min(1).optional(),
  ring_timeout_seconds: z.coerce.number().int().min(5).max(600).optional(),
  from: z.string().min(1).optional(),
  recording: z.enum(['on', 'off']).optional(),
  /** A JSON object, or (multipart) its JSON text. */
  broadcast: z.union([broadcastSchema, z.string().transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'broadcast must be a JSON object' });
      return z.NEVER;
    }
  }).pipe(broadcastSchema)]).optional(),
});
export type DialSettingsInput = z.input<typeof dialSettingsInput>;

export const DEFAULT_SETTINGS: DialSettings = {
  window: null,
  timezone: 'UTC',
  days: [0, 1, 2, 3, 4, 5, 6],
  maxAttempts: 1,
  retryDelaySeconds: 600,
  retryOn: ['no-answer', 'busy'],
  machineDetection: 'off',
  machinePolicy: { action: 'hangup' },
};

/** Parsed API input to stored settings, defaults filled in. */
export function toDialSettings(input: z.output<typeof dialSettingsInput>): DialSettings {
  const s: DialSettings = { ...DEFAULT_SETTINGS, machinePolicy: { action: input.machine_policy ?? 'hangup' } };
  if (input.window !== undefined) s.window = input.window;
  if (input.timezone) s.timezone = input.timezone;
  if (input.days?.length) s.days = input.days;
  if (input.max_attempts !== undefined) s.maxAttempts = input.max_attempts;
  if (input.retry_delay_seconds !== undefined) s.retryDelaySeconds = input.retry_delay_seconds;
  if (input.retry_on) s.retryOn = input.retry_on;
  if (input.amd) s.machineDetection = input.amd;
  if (input.machine_message_audio) s.machinePolicy.messageAudio = input.machine_message_audio;
  if (input.ring_timeout_seconds !== undefined) s.ringTimeoutSeconds = input.ring_timeout_seconds;
  if (input.from) s.from = input.from;
  if (input.recording) s.recording = input.recording;
  if (input.broadcast) s.broadcast = input.broadcast;
  return s;
}

/** Stored settings (possibly written by an older version) with defaults for what is missing. */
export function dialSettingsOf(stored: CampaignSettings): DialSettings {
  return { ...DEFAULT_SETTINGS, ...(stored as Partial<DialSettings>) };
}

/** Settings as stored: JSON without nulls (the store's CampaignSettings has no null window). */
export function storedSettings(s: DialSettings): CampaignSettings {
  const { window, ...rest } = s;
  return window ? { ...rest, window } : { ...rest };
}
