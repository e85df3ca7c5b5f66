import type { G711Law } from '../../media/g711.js';
import type { EndReason } from './end-reason.js';

/**
 * The phone side's audio codec: G.711 (8 kHz) on Twilio and SIP, or G.722
 * (16 kHz wideband, RFC 3551 §4.5.2) on SIP. Every codec carries 20 ms in
 * 160 bytes.
 */
export type LegCodec = G711Law | 'g722';

/** G.711's silence byte for a leg; for G.722 legs 0xFF, which decodes to digital silence (−84 dBFS) as well. */
export function legSilenceByte(codec: LegCodec): number {
  return codec === 'alaw' ? 0xd5 : 0xff;
}

/** The G.711 law of a leg that must carry G.711 (TTS playback speaks G.711 only); throws on a G.722 leg. */
export function g711LawOf(codec: LegCodec): G711Law {
  if (codec === 'g722') throw new Error('this leg carries G.722; TTS playback needs a G.711 leg');
  return codec;
}

/** One 20 ms (nominally) frame of the leg's audio from the phone side. */
export interface InboundAudio {
  payload: Uint8Array;
  /** The payload as the provider sent it in base64, when it did: lets μ-law relay skip re-encoding. */
  base64?: string;
}

/** What a leg tells the call that owns it. Exactly one handler per leg. */
export interface CallLegHandler {
  onAudio(frame: InboundAudio): void;
  onDtmf(digit: string): void;
  /** Everything queued before `mark(label)` has been played to the caller. */
  onPlayed(label: string): void;
  /** The phone side is gone (hang-up, stream stop, socket loss). */
  onEnded(reason: EndReason, detail: string): void;
}

/** Told of the audio a leg actually puts on the wire and takes off it, and of what the far end did with it (recordings). */
export interface WireTap {
  /**
   * A caller frame as it came off the wire, before any jitter buffer, with
   * its media time: `mediaMs` since the stream's media time 0 (Twilio's
   * media `timestamp`; RTP timestamp / clock rate), `stream` naming the
   * media clock (a new RTP SSRC starts a new one).
   */
  received(frame: Uint8Array, mediaMs: number, stream?: number | string): void;
  /**
   * A frame went to the caller at `atMs` (performance.now()'s clock; for
   * RTP the media time its timestamp stands for). With
   * `probe`, the leg asked the far end to say when it has played it, and
   * calls `played(probe)` when it does (Twilio: a mark after the frame).
   */
  sent(frame: Uint8Array, atMs: number, probe?: number): void;
  played(probe: number): void;
  /** The far end drops what it has not played (Twilio `clear`). Legs whose sent audio always plays (RTP) never call it. */
  cleared(): void;
}

/**
 * The phone side of a call, whatever carries it (Twilio Media Streams, SIP/RTP).
 * Call logic talks only to this, so Twilio and SIP calls share every line of it.
 */
export interface CallLeg {
  readonly kind: 'twilio' | 'sip';
  readonly codec: LegCodec;
  /** Provider's id for the call (Twilio CallSid, SIP Call-ID). */
  readonly providerCallId: string;
  attach(handler: CallLegHandler): void;
  /** Queue one 20 ms G.711 frame (160 bytes) for paced playback. */
  sendAudio(frame: Uint8Array): void;
  /**
   * The same, with the frame given as the canonical base64 of its bytes: legs
   * whose wire carries base64 (Twilio) relay an agent's frame-sized chunk in
   * their own codec without decoding and re-encoding it.
   */
  sendAudioBase64?(base64: string): void;
  /** In-band marker: `onPlayed(label)` fires once the caller has heard everything queued before it. */
  mark(label: string): void;
  /** Drop all audio not yet played (barge-in). Pending marks will never report played. */
  clear(): void;
  /** Audio queued or in flight that the caller has not heard yet, in ms. */
  unplayedMs(): number;
  /** Report each frame as it goes on the wire, and what the far end did with it (a recording's heard channel). */
  setWireTap?(tap: WireTap | undefined): void;
  /** End the phone side. Resolves when the provider has been told. */
  hangup(reason: EndReason): Promise<void>;
}
