import { z } from 'zod';
import type { CallPolicySettings } from '../../config/index.js';
import type { ConversationInit } from '../agent/elevenlabs-protocol.js';
import { prepTask } from '../call/call-prep.js';

export type PersonalizationSettings = CallPolicySettings['personalization'];

/** What ElevenLabs POSTs to the conversation initiation webhook (protocols.md §4.9). */
export interface InitWebhookRequest {
  caller_id: string;
  agent_id: string;
  called_number: string;
  call_sid: string;
}

export type PersonalizationFailure = 'timeout' | 'error' | 'bad-response';

export type PersonalizationResult =
  | { ok: true; init: ConversationInit; ms: number }
  | { ok: false; reason: PersonalizationFailure; detail: string; ms: number };

/** The CallPrep task that carries the webhook's answer from the ringing phase to the stream. */
export const PERSONALIZATION = prepTask<PersonalizationResult>('personalization');

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** The documented answer; `type` may be left out, but if present it must be this one. */
const answerSchema = z.object({
  type: z.literal('conversation_initiation_client_data').optional(),
  dynamic_variables: z.record(z.string(), scalar.nullable()).optional(),
  conversation_config_override: z.record(z.string(), z.unknown()).optional(),
});

/**
 * POSTs the call's identity to the business and parses its answer. Never
 * throws: a timeout, a transport error, a non-2xx or an answer that is not
 * the documented JSON comes back as a failure the caller decides about.
 */
export async function fetchInitData(
  settings: PersonalizationSettings & { url: string },
  request: InitWebhookRequest,
  signal?: AbortSignal,
): Promise<PersonalizationResult> {
  const t0 = performance.now();
  const ms = (): number => Math.round(performance.now() - t0);
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  let res: Response;
  try {
    res = await fetch(settings.url, {
      method: 'POST',
      headers: { ...settings.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    if (timeout.aborted) return { ok: false, reason: 'timeout', detail: `no answer within ${settings.timeoutMs} ms`, ms: ms() };
    return { ok: false, reason: 'error', detail: (err as Error).message, ms: ms() };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    const reason = timeout.aborted ? 'timeout' : 'error';
    return { ok: false, reason, detail: `reading the answer: ${(err as Error).message}`, ms: ms() };
  }
  if (!res.ok) return { ok: false, reason: 'error', detail: `answered HTTP ${res.status}`, ms: ms() };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad-response', detail: 'answer is not JSON', ms: ms() };
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'bad-response', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), ms: ms() };
  }
  const vars = Object.fromEntries(Object.entries(parsed.data.dynamic_variables ?? {}).filter(([, v]) => v !== null)) as Record<string, string | number | boolean>;
  return { ok: true, init: { dynamicVariables: vars, overrides: parsed.data.conversation_config_override }, ms: ms() };
}

/**
 * Init data for the agent: the webhook's values win over the URL's `var_`
 * parameters, which win over the defaults (protocols.md §4.9; issue #14).
 * Overrides merge section by section (`agent`, `tts`, ...).
 */
export function mergeInit(defaults: ConversationInit, fromWebhook: ConversationInit | undefined): ConversationInit {
  if (!fromWebhook) return defaults;
  const dynamicVariables = { ...defaults.dynamicVariables, ...fromWebhook.dynamicVariables };
  const overrides = mergeOverrides(defaults.overrides, fromWebhook.overrides);
  return { dynamicVariables, ...(overrides ? { overrides } : {}) };
}

function mergeOverrides(base: Record<string, unknown> | undefined, top: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!base) return top;
  if (!top) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? mergeOverrides(under, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
