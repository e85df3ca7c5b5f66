import { readFileSync } from 'node:fs';
import { z } from 'zod';

const seconds = z.number().positive();
/** A prompt the bridge speaks itself; ElevenLabs stream-input takes a few thousand characters, a prompt needs far fewer. */
const prompt = z.string().trim().min(1).max(1000);
const dtmfKey = z.string().regex(/^[0-9*#A-D]$/, 'a DTMF key: 0-9, *, #, A-D');

export const dtmfActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hangup') }),
  z.object({ type: z.literal('transfer'), destination: z.string().min(1) }),
]);

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +14155550123');

/** A destination the bridge may transfer to. Nothing else is ever dialled. */
export const transferRuleSchema = z.object({
  number: e164,
  label: z.string().min(1).optional(),
  /** Caller ID shown to the operator; default: the caller's number. */
  callerId: e164.optional(),
  mode: z.enum(['cold', 'warm']).optional(),
  timeoutSeconds: z.number().int().min(5).max(120).optional(),
});
export type TransferRule = z.infer<typeof transferRuleSchema>;

/**
 * How calls behave, settable globally (env), per agent (AGENTS_FILE) and per
 * campaign. Names follow ElevenLabs' own settings where one exists
 * (silence_end_call_timeout, max_duration_seconds).
 */
export const callPolicySchema = z.object({
  /** Caller speech interrupts the agent. Off keeps the caller from cutting a disclaimer short. */
  bargeIn: z.boolean(),
  /** Seconds without caller speech (VAD) while the agent is quiet before the call ends; null = off. */
  silenceEndCallTimeoutSeconds: seconds.nullable(),
  /** WAV played before a silence hang-up. */
  silenceGoodbyeAudio: z.string().min(1).optional(),
  /** Or words the bridge speaks with its TTS engine (the WAV wins when both are set). */
  silenceGoodbyeText: prompt.optional(),
  maxDurationSeconds: seconds.nullable(),
  maxDurationAudio: z.string().min(1).optional(),
  maxDurationText: prompt.optional(),
  /** No media frames from the phone for this long ends the call (`media-timeout`). */
  mediaTimeoutSeconds: seconds,
  /** After the agent's last word has played, wait this long before hanging up. */
  endCallGraceMs: z.number().int().min(0).max(10_000),
  /** Client tool names the bridge handles itself. */
  endCallToolName: z.string().min(1),
  dtmf: z.object({
    mode: z.enum(['contextual_update', 'user_message', 'off']),
    actions: z.record(dtmfKey, dtmfActionSchema),
  }),
  transfer: z.object({
    /** Client tool the agent calls; parameters as ElevenLabs' transfer_to_number. */
    toolName: z.string().min(1),
    rules: z.array(transferRuleSchema),
    defaultMode: z.enum(['cold', 'warm']),
    /** Silent: no waiting for the agent's words to the caller before transferring. */
    silent: z.boolean(),
    /** Warm transfer: the key the operator presses to accept after the whisper. */
    acceptKey: z.string().regex(/^[0-9*#]$/),
    /** What happens when the operator does not take the call. */
    fallback: z.discriminatedUnion('action', [
      z.object({ action: z.literal('agent') }),
      z.object({ action: z.literal('number'), number: e164 }),
      z.object({ action: z.literal('message'), text: z.string().min(1) }),
      z.object({ action: z.literal('hangup') }),
    ]),
  }),
  /** Outbound calls with answering machine detection: what to do when a machine answers. */
  answeringMachine: z.object({
    action: z.enum(['hangup', 'leave-message', 'connect-agent']),
    /** WAV left as the message; without it the agent's own first message is left. */
    messageAudio: z.string().min(1).optional(),
  }),
  agentFailure: z.object({
    policy: z.enum(['retry', 'hangup', 'transfer']),
    /** With policy `transfer`: a transfer rule's number or label. */
    transferTo: z.string().min(1).optional(),
    /** WAV the caller hears when the agent fails; a built-in tone otherwise. */
    fallbackAudio: z.string().min(1).optional(),
    /** Or words spoken by the bridge's TTS engine; the WAV wins when both are set. */
    fallbackText: prompt.optional(),
    /** Caller finished speaking and the agent says nothing for this long: the agent has failed. */
    responseTimeoutSeconds: seconds,
  }),
  /**
   * Inbound calls: ask the business for the conversation's dynamic variables
   * and overrides while the phone rings (ElevenLabs' conversation initiation
   * client data webhook, protocols.md §4.9). No URL: off.
   */
  personalization: z.object({
    url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL').optional(),
    /** Extra request headers (the receiver's secret). */
    headers: z.record(z.string().min(1), z.string()),
    timeoutMs: z.number().int().positive().max(30_000),
    /** Timeout, error or bad answer: go on with the defaults, or refuse the call. */
    onFailure: z.enum(['defaults', 'refuse']),
  }),
  /** Stereo WAV of the call (caller left, what the caller heard right). */
  recording: z.enum(['off', 'on']),
});

export type CallPolicySettings = z.infer<typeof callPolicySchema>;

const partialPolicySchema = callPolicySchema
  .extend({
    dtmf: callPolicySchema.shape.dtmf.partial(),
    agentFailure: callPolicySchema.shape.agentFailure.partial(),
    answeringMachine: callPolicySchema.shape.answeringMachine.partial(),
    transfer: callPolicySchema.shape.transfer.partial(),
    personalization: callPolicySchema.shape.personalization.partial(),
  })
  .partial();
export type PartialCallPolicy = z.infer<typeof partialPolicySchema>;
export { partialPolicySchema };

const agentsFileSchema = z.object({
  defaults: partialPolicySchema.default({}),
  agents: z.record(z.string().min(1), partialPolicySchema).default({}),
});
export type AgentsFile = z.infer<typeof agentsFileSchema>;

/** Merges partial policies over a base, nested groups field by field. */
export function mergePolicy(base: CallPolicySettings, ...layers: (PartialCallPolicy | undefined)[]): CallPolicySettings {
  let out = base;
  for (const layer of layers) {
    if (!layer) continue;
    const { dtmf, agentFailure, answeringMachine, transfer, personalization, ...flat } = layer;
    out = {
      ...out,
      ...stripUndefined(flat),
      dtmf: { ...out.dtmf, ...stripUndefined(dtmf ?? {}) },
      agentFailure: { ...out.agentFailure, ...stripUndefined(agentFailure ?? {}) },
      answeringMachine: { ...out.answeringMachine, ...stripUndefined(answeringMachine ?? {}) },
      transfer: { ...out.transfer, ...stripUndefined(transfer ?? {}) },
      personalization: { ...out.personalization, ...stripUndefined(personalization ?? {}) },
    };
  }
  return out;
}

export function loadAgentsFile(path: string): AgentsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`AGENTS_FILE ${path}: ${(err as Error).message}`);
  }
  const parsed = agentsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`AGENTS_FILE ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
