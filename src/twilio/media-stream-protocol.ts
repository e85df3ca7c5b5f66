import { z } from 'zod';

/**
 * Twilio Media Streams wire format (bidirectional `<Connect><Stream>`), pure
 * parse/encode. Twilio sends every number as a string; audio is base64
 * μ-law 8 kHz mono without headers. Reference: twilio.com/docs/voice/media-streams/websocket-messages.
 */

export interface StreamStart {
  streamSid: string;
  callSid: string;
  accountSid: string;
  tracks: string[];
  customParameters: Record<string, string>;
  mediaFormat: { encoding: string; sampleRate: number; channels: number };
}

export type TwilioInbound =
  | { event: 'connected'; protocol?: string; version?: string }
  | { event: 'start'; streamSid: string; start: StreamStart }
  | { event: 'media'; streamSid: string; track: string; chunk: number; timestamp: number; payload: string }
  | { event: 'dtmf'; streamSid: string; digit: string }
  | { event: 'mark'; streamSid: string; name: string }
  | { event: 'stop'; streamSid: string; callSid?: string }
  | { event: 'unknown'; name: string };

export type ParseResult = { ok: true; message: TwilioInbound } | { ok: false; code: ParseErrorCode; detail: string };
export type ParseErrorCode = 'malformed-json' | 'invalid-message' | 'invalid-payload';

const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9A-Za-z]{2,64}$`));

const startSchema = z.object({
  streamSid: sid('MZ'),
  start: z.object({
    streamSid: sid('MZ').optional(),
    callSid: sid('CA'),
    accountSid: sid('AC'),
    tracks: z.array(z.string()).default(['inbound']),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z
      .object({ encoding: z.string(), sampleRate: z.coerce.number(), channels: z.coerce.number() })
      .default({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }),
  }),
});

// Base64 alphabet with optional padding; length checked separately.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DTMF_DIGIT = /^[0-9*#A-Da-d]$/;

/**
 * A media message exactly as Twilio serialises it (compact JSON, the field
 * order of its reference page), matched whole. A match whose payload length
 * is a multiple of 4 is valid JSON of the expected shape with a well-formed
 * base64 payload (the same test as BASE64 below), so the hot path (50
 * messages a second per call) skips JSON.parse and the field checks; any
 * other spelling takes the general path below and gets the same result.
 * The payload's length is checked outside the expression: counting groups of
 * 4 inside it made the match cost twice as much.
 */
const MEDIA_AS_SENT =
  /^\{"event":"media","sequenceNumber":"\d{1,15}","media":\{"track":"([a-z]{1,16})","chunk":"(\d{1,15})","timestamp":"(\d{1,15})","payload":"([A-Za-z0-9+/]*={0,2})"\},"streamSid":"([0-9A-Za-z]{1,64})"\}$/;

export function parseTwilioMessage(raw: string): ParseResult {
  const fast = MEDIA_AS_SENT.exec(raw);
  if (fast && fast[4]!.length % 4 === 0) {
    return ok({ event: 'media', streamSid: fast[5]!, track: fast[1]!, chunk: Number(fast[2]), timestamp: Number(fast[3]), payload: fast[4]! });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return fail('malformed-json', 'not JSON');
  }
  if (typeof data !== 'object' || data === null || typeof (data as { event?: unknown }).event !== 'string') {
    return fail('invalid-message', 'missing event');
  }
  const msg = data as Record<string, unknown> & { event: string };
  switch (msg.event) {
    case 'media':
      return parseMedia(msg);
    case 'connected':
      return ok({ event: 'connected', protocol: str(msg.protocol), version: str(msg.version) });
    case 'start':
      return parseStart(msg);
    case 'dtmf':
      return parseDtmf(msg);
    case 'mark':
      return parseMark(msg);
    case 'stop':
      return ok({ event: 'stop', streamSid: str(msg.streamSid) ?? '', callSid: str(obj(msg.stop)?.callSid) });
    default:
      return ok({ event: 'unknown', name: msg.event.slice(0, 64) });
  }
}

/** The hot path: checked cheaply by hand rather than through a schema. */
function parseMedia(msg: Record<string, unknown>): ParseResult {
  const media = obj(msg.media);
  const payload = media?.payload;
  if (!media || typeof payload !== 'string') return fail('invalid-message', 'media without payload');
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) return fail('invalid-payload', 'payload is not base64');
  return ok({
    event: 'media',
    streamSid: str(msg.streamSid) ?? '',
    track: str(media.track) ?? 'inbound',
    chunk: Number(media.chunk) || 0,
    timestamp: Number(media.timestamp) || 0,
    payload,
  });
}

function parseStart(msg: Record<string, unknown>): ParseResult {
  const parsed = startSchema.safeParse(msg);
  if (!parsed.success) return fail('invalid-message', `bad start: ${parsed.error.issues[0]?.path.join('.')}`);
  const { streamSid, start } = parsed.data;
  return ok({ event: 'start', streamSid, start: { ...start, streamSid } });
}

function parseDtmf(msg: Record<string, unknown>): ParseResult {
  const digit = str(obj(msg.dtmf)?.digit);
  if (!digit || !DTMF_DIGIT.test(digit)) return fail('invalid-message', 'bad dtmf digit');
  return ok({ event: 'dtmf', streamSid: str(msg.streamSid) ?? '', digit: digit.toUpperCase() });
}

function parseMark(msg: Record<string, unknown>): ParseResult {
  const name = str(obj(msg.mark)?.name);
  if (name === undefined) return fail('invalid-message', 'mark without name');
  return ok({ event: 'mark', streamSid: str(msg.streamSid) ?? '', name });
}

/** Encoders for what the bridge sends. The per-stream prefix is built once: no JSON.stringify per frame. */
export class TwilioEncoder {
  private readonly mediaPrefix: string;
  private readonly sidJson: string;

  constructor(streamSid: string) {
    this.sidJson = JSON.stringify(streamSid);
    this.mediaPrefix = `{"event":"media","streamSid":${this.sidJson},"media":{"payload":"`;
  }

  media(payloadBase64: string): string {
    return this.mediaPrefix + payloadBase64 + '"}}';
  }

  mark(name: string): string {
    return `{"event":"mark","streamSid":${this.sidJson},"mark":{"name":${JSON.stringify(name)}}}`;
  }

  clear(): string {
    return `{"event":"clear","streamSid":${this.sidJson}}`;
  }
}

const ok = (message: TwilioInbound): ParseResult => ({ ok: true, message });
const fail = (code: ParseErrorCode, detail: string): ParseResult => ({ ok: false, code, detail });
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
