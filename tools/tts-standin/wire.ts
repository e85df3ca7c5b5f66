/** What the stand-in checks in client messages and query strings (protocols.md §5.1, §5.3). */

export const OUTPUT_FORMATS = { ulaw_8000: 'ulaw', alaw_8000: 'alaw' } as const;
export type StandInFormat = keyof typeof OUTPUT_FORMATS;

export function isG711Format(f: string | null): f is StandInFormat {
  return f === 'ulaw_8000' || f === 'alaw_8000';
}

export interface ClientTextMessage {
  text: string;
  flush?: boolean;
  voice_settings?: Record<string, unknown>;
  generation_config?: { chunk_length_schedule?: number[] };
}

/** Parses a client message; a string is a protocol violation to report. */
export function parseClientMessage(raw: string): ClientTextMessage | string {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return 'message is not JSON';
  }
  if (typeof msg !== 'object' || msg === null || typeof (msg as { text?: unknown }).text !== 'string') {
    return 'message has no string "text"';
  }
  return msg as ClientTextMessage;
}

/** The initialize message: text exactly one space; schedule entries 50–500. */
export function initViolation(msg: ClientTextMessage): string | undefined {
  if (msg.text !== ' ') return `first message text must be a single space, got ${JSON.stringify(msg.text)}`;
  const schedule = msg.generation_config?.chunk_length_schedule;
  if (schedule && !schedule.every((n) => Number.isInteger(n) && n >= 50 && n <= 500)) return 'chunk_length_schedule entries must be 50-500';
  return undefined;
}

/** Varying chunk sizes around `mean` (never a multiple of one 20 ms frame), like the real service's bursts. */
export function chunkSizes(total: number, mean: number): number[] {
  const factors = [0.55, 1.3, 0.9, 1.25, 0.7, 1.1];
  const sizes: number[] = [];
  for (let at = 0, i = 0; at < total; i++) {
    const size = Math.min(total - at, Math.max(1, Math.round(mean * factors[i % factors.length]!) | 1));
    sizes.push(size);
    at += size;
  }
  return sizes;
}
