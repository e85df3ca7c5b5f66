import { z } from 'zod';

const key = z.string().regex(/^[0-9*#]$/, 'a DTMF key: 0-9, * or #');

export const menuActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('repeat') }),
  z.object({ action: z.literal('transfer'), destination: z.string().min(1) }),
  z.object({ action: z.literal('agent'), agent_id: z.string().min(1).optional() }),
  z.object({ action: z.literal('opt-out') }),
  z.object({ action: z.literal('hangup') }),
]);

/** A key-press menu after a broadcast message. */
export const broadcastMenuSchema = z.object({
  keys: z.record(key, menuActionSchema).refine((k) => Object.keys(k).length > 0, 'at least one key'),
  timeout_seconds: z.number().int().min(1).max(60).default(6),
  /** How many times the caller is asked again after a timeout or a wrong key before the call ends. */
  attempts: z.number().int().min(1).max(5).default(2),
  invalid_prompt: z.string().min(1).default('Sorry, that key is not an option.'),
  timeout_prompt: z.string().min(1).optional(),
  opt_out_confirmation: z.string().min(1).default('You will not be called again. Goodbye.'),
});

/**
 * A broadcast: a message spoken to the person called, with `{{variables}}`
 * from the recipient's row, an optional voicemail variant and menu.
 */
/** Spoken text: blank (whitespace-only) text would place a call that says nothing. */
const spoken = z.string().trim().min(1, 'must not be blank').max(4000);

export const broadcastSchema = z.object({
  message: spoken,
  voicemail_message: spoken.optional(),
  repeat: z.number().int().min(1).max(5).default(1),
  voice_id: z.string().min(1).optional(),
  menu: broadcastMenuSchema.optional(),
});

export type BroadcastSettings = z.infer<typeof broadcastSchema>;
export type BroadcastMenu = z.infer<typeof broadcastMenuSchema>;
export type MenuAction = z.infer<typeof menuActionSchema>;
