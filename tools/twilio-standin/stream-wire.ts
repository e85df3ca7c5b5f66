/**
 * The Media Streams wire format, Twilio's side (protocols.md §2; Twilio "Media Streams -
 * WebSocket Messages"). Pure: builds the JSON Twilio sends and checks what the bridge sends.
 */

export interface StreamIdentity {
  streamSid: string;
  callSid: string;
  accountSid: string;
}

/** Twilio → bridge message builder. Holds the counters Twilio keeps per stream. */
export class TwilioMessageWriter {
  /** "The first message is 1 and each later message adds 1" — `connected` carries none (§2.1). */
  private seq = 0;
  /** Media chunk counter, starts at 1. */
  private chunk = 0;

  constructor(private readonly id: StreamIdentity) {}

  connected(): object {
    return { event: 'connected', protocol: 'Call', version: '1.0.0' };
  }

  start(customParameters: Record<string, string>): object {
    const { streamSid, callSid, accountSid } = this.id;
    return {
      event: 'start',
      sequenceNumber: this.next(),
      start: {
        accountSid,
        streamSid,
        callSid,
        // Bidirectional <Connect><Stream> only carries the caller's track (§1.2).
        tracks: ['inbound'],
        customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid,
    };
  }

  /** `timestampMs`: presentation time from stream start. Numbers go out as strings (§2). */
  media(ulaw: Uint8Array, timestampMs: number): object {
    this.chunk += 1;
    return {
      event: 'media',
      sequenceNumber: this.next(),
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String(Math.round(timestampMs)),
        payload: Buffer.from(ulaw.buffer, ulaw.byteOffset, ulaw.byteLength).toString('base64'),
      },
      streamSid: this.id.streamSid,
    };
  }

  dtmf(digit: string): object {
    return {
      event: 'dtmf',
      streamSid: this.id.streamSid,
      sequenceNumber: this.next(),
      dtmf: { track: 'inbound_track', digit },
    };
  }

  mark(name: string): object {
    return { event: 'mark', sequenceNumber: this.next(), streamSid: this.id.streamSid, mark: { name } };
  }

  stop(): object {
    const { streamSid, callSid, accountSid } = this.id;
    return { event: 'stop', sequenceNumber: this.next(), streamSid, stop: { accountSid, callSid } };
  }

  private next(): string {
    this.seq += 1;
    return String(this.seq);
  }
}

export type BridgeMessage =
  | { event: 'media'; payload: Uint8Array }
  | { event: 'mark'; name: string }
  | { event: 'clear' };

export type ProblemKind =
  | 'binary_frame'
  | 'not_json'
  | 'unknown_event'
  | 'missing_field'
  | 'bad_base64'
  | 'wrong_stream_sid'
  | 'payload_not_frame_multiple';

export interface WireProblem {
  kind: ProblemKind;
  detail: string;
}

export interface ReadResult {
  /** Undefined when Twilio would ignore the message. */
  message?: BridgeMessage;
  problems: WireProblem[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FRAME_BYTES = 160;

function readMedia(raw: Record<string, unknown>, problems: WireProblem[]): BridgeMessage | undefined {
  const payload = (raw.media as { payload?: unknown } | undefined)?.payload;
  if (typeof payload !== 'string') {
    problems.push({ kind: 'missing_field', detail: 'media.payload missing' });
    return undefined;
  }
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) {
    problems.push({ kind: 'bad_base64', detail: `media.payload is not base64 (${payload.length} chars)` });
    return undefined;
  }
  const bytes = new Uint8Array(Buffer.from(payload, 'base64'));
  // Twilio accepts any size (§2.2) and plays it; a bridge should still send whole 20 ms frames.
  if (bytes.byteLength % FRAME_BYTES !== 0) {
    problems.push({ kind: 'payload_not_frame_multiple', detail: `media payload is ${bytes.byteLength} bytes` });
  }
  return { event: 'media', payload: bytes };
}

function readEvent(raw: Record<string, unknown>, problems: WireProblem[]): BridgeMessage | undefined {
  switch (raw.event) {
    case 'media':
      return readMedia(raw, problems);
    case 'mark': {
      const name = (raw.mark as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') return { event: 'mark', name };
      problems.push({ kind: 'missing_field', detail: 'mark.name missing' });
      return undefined;
    }
    case 'clear':
      return { event: 'clear' };
    default:
      problems.push({ kind: 'unknown_event', detail: `event ${JSON.stringify(raw.event)}` });
      return undefined;
  }
}

/** Checks one frame from the bridge against the rules of §2.2. */
export function readBridgeMessage(data: string, isBinary: boolean, streamSid: string): ReadResult {
  const problems: WireProblem[] = [];
  if (isBinary) return { problems: [{ kind: 'binary_frame', detail: 'Media Streams frames are JSON text' }] };
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { problems: [{ kind: 'not_json', detail: data.slice(0, 80) }] };
  }
  if (typeof raw !== 'object' || raw === null) return { problems: [{ kind: 'not_json', detail: 'not an object' }] };
  const obj = raw as Record<string, unknown>;
  // "Every message you send needs it" (§2.1): a message for another stream is not ours to play.
  if (obj.streamSid !== streamSid) {
    problems.push({ kind: 'wrong_stream_sid', detail: `streamSid ${JSON.stringify(obj.streamSid)}` });
    return { problems };
  }
  return { message: readEvent(obj, problems), problems };
}
