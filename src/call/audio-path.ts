import { formatName, type AudioFormat } from '../../media/audio-format.js';
import { FrameChunker } from '../../media/frame-chunker.js';
import { g711Decoder, g711Encoder } from '../../media/g711.js';
import { Resampler } from '../../media/resampler.js';
import { legSilenceByte, type InboundAudio, type LegCodec } from './call-leg.js';
import { legDecoder, legEncoder, legSampleRate, samplesPerByte, type LegDecode, type LegEncode } from './leg-codec.js';

const FRAME_BYTES = 160; // 20 ms of G.711 at 8 kHz, and of G.722 at 16 kHz
/**
 * Exactly one frame in canonical base64 (RFC 4648 §4): 160 bytes = 53 groups
 * of 3 + 1 byte, so 212 + 2 characters and `==`; the second of those carries
 * 2 bits of data and 4 zero bits (§3.5), hence one of `AQgw`.
 */
const ONE_FRAME_BASE64_CHARS = 216;
const EQUALS = 0x3d;

/** The alphabet, then `==`: on a 216-character text, 214 alphabet characters (`*`, not `{214}`: irregexp runs a counted repetition several times slower). */
const ALPHABET_THEN_TWO_PADS = /^[A-Za-z0-9+/]*==$/;

/** Exactly one frame in canonical base64: the length, the final character, then the alphabet (only a chunk that passed the first two checks is scanned). */
function isOneFrame(base64: string): boolean {
  if (base64.length !== ONE_FRAME_BASE64_CHARS || base64.charCodeAt(214) !== EQUALS || base64.charCodeAt(215) !== EQUALS) return false;
  const c = base64.charCodeAt(213);
  return (c === 0x41 || c === 0x51 || c === 0x67 || c === 0x77) && ALPHABET_THEN_TWO_PADS.test(base64); // A Q g w
}

/** Grows a typed array only when a larger chunk arrives; steady state allocates nothing. */
function ensure<T extends Int16Array | Uint8Array>(buf: T, length: number, make: (n: number) => T): T {
  return buf.length >= length ? buf : make(Math.max(length, buf.length * 2));
}

const LEG_NAME: Record<LegCodec, string> = { ulaw: 'PCMU', alaw: 'PCMA', g722: 'G722' };

/**
 * Caller → agent: phone frames to base64 in the agent's input format. μ-law
 * in, μ-law out relays the provider's bytes untouched; G.722 decodes to
 * 16 kHz, which a `pcm_16000` agent gets with no resampling at all.
 */
export class Uplink {
  private readonly passthrough: boolean;
  private readonly decode: LegDecode;
  private readonly encodeAgentG711: ReturnType<typeof g711Encoder> | undefined;
  private readonly resampler: Resampler | undefined;
  private pcm = new Int16Array(320);
  private out = new Int16Array(960);
  private bytes = new Uint8Array(320);

  constructor(private readonly leg: LegCodec, private readonly agent: AudioFormat) {
    this.passthrough = agent.encoding === leg;
    this.decode = legDecoder(leg);
    this.encodeAgentG711 = agent.encoding === 'pcm16' ? undefined : g711Encoder(agent.encoding);
    const rate = legSampleRate(leg);
    this.resampler = agent.sampleRate === rate ? undefined : new Resampler(rate, agent.sampleRate);
  }

  /** The phone audio as PCM at the leg's rate (8 or 16 kHz); valid until the next call. */
  decodePhone(frame: InboundAudio): Int16Array {
    const n = frame.payload.length * samplesPerByte(this.leg);
    this.pcm = ensure(this.pcm, n, (k) => new Int16Array(k));
    return this.pcm.subarray(0, this.decode(frame.payload, this.pcm));
  }

  /** Base64 for `user_audio_chunk`. Pass `decoded` if `decodePhone` already ran on this frame. */
  toAgent(frame: InboundAudio, decoded?: Int16Array): string {
    if (this.passthrough) return frame.base64 ?? Buffer.from(frame.payload).toString('base64');
    let samples = decoded ?? this.decodePhone(frame);
    if (this.resampler) {
      this.out = ensure(this.out, this.resampler.maxOutputLength(samples.length), (k) => new Int16Array(k));
      samples = this.out.subarray(0, this.resampler.process(samples, this.out));
    }
    if (this.encodeAgentG711) {
      this.bytes = ensure(this.bytes, samples.length, (k) => new Uint8Array(k));
      this.encodeAgentG711(samples, this.bytes, samples.length);
      return Buffer.from(this.bytes.buffer, 0, samples.length).toString('base64');
    }
    // PCM16 little-endian on the wire; Int16Array is host order, little-endian on every platform Node ships for.
    return Buffer.from(samples.buffer, samples.byteOffset, samples.length * 2).toString('base64');
  }

  toString(): string {
    if (this.passthrough) return `${LEG_NAME[this.leg]}(relay) -> ${formatName(this.agent)}`;
    return [`${LEG_NAME[this.leg]}(decode)`, this.resampler?.toString(), formatName(this.agent)].filter(Boolean).join(' -> ');
  }
}

/**
 * Agent → caller: base64 chunks of any size in the agent's output format to
 * exact 20 ms frames in the leg's codec.
 */
export class Downlink {
  private readonly chunker = new FrameChunker(FRAME_BYTES);
  private readonly passthrough: boolean;
  private readonly decodeAgentG711: ReturnType<typeof g711Decoder> | undefined;
  private readonly encode: LegEncode;
  private readonly resampler: Resampler | undefined;
  /** Raw decoded bytes; its own ArrayBuffer at offset 0 so an Int16Array view is always aligned. */
  private raw = Buffer.allocUnsafeSlow(4096);
  /** PCM16 chunks may split a sample across messages: the odd byte waits here. */
  private carry = -1;
  private pcm = new Int16Array(2048);
  private resampled = new Int16Array(2048);
  private encoded = new Uint8Array(2048);

  constructor(private readonly agent: AudioFormat, private readonly leg: LegCodec) {
    this.passthrough = agent.encoding === leg;
    this.decodeAgentG711 = agent.encoding === 'pcm16' ? undefined : g711Decoder(agent.encoding);
    this.encode = legEncoder(leg);
    const rate = legSampleRate(leg);
    this.resampler = agent.sampleRate === rate ? undefined : new Resampler(agent.sampleRate, rate);
  }

  /**
   * `onWholeFrame`, when the sink takes base64 frames: an agent chunk in the
   * leg's codec that is exactly one frame, with nothing held back, goes there
   * as it came (the same text the decode-and-re-encode path would produce).
   */
  push(base64: string, onFrame: (frame: Uint8Array) => void, onWholeFrame?: (base64: string) => void): void {
    if (onWholeFrame && this.passthrough && this.chunker.pendingBytes === 0 && isOneFrame(base64)) return onWholeFrame(base64);
    const n = this.decodeBase64(base64);
    if (this.passthrough) return this.chunker.push(this.raw.subarray(0, n), onFrame);
    const pcm = this.toPcm(n);
    let samples = pcm;
    if (this.resampler) {
      this.resampled = ensure(this.resampled, this.resampler.maxOutputLength(pcm.length), (k) => new Int16Array(k));
      samples = this.resampled.subarray(0, this.resampler.process(pcm, this.resampled));
    }
    this.encoded = ensure(this.encoded, samples.length, (k) => new Uint8Array(k));
    const bytes = this.encode(samples, this.encoded);
    this.chunker.push(this.encoded.subarray(0, bytes), onFrame);
  }

  /** End of an utterance: the last partial frame goes out padded with silence. */
  flush(onFrame: (frame: Uint8Array) => void): void {
    this.chunker.flush(onFrame, legSilenceByte(this.leg));
  }

  /** Barge-in: forget everything buffered for the interrupted utterance. */
  reset(): void {
    this.chunker.clear();
    this.resampler?.reset();
    this.carry = -1;
  }

  toString(): string {
    if (this.passthrough) return `${formatName(this.agent)}(relay) -> ${LEG_NAME[this.leg]}`;
    return [formatName(this.agent), this.resampler?.toString(), `${LEG_NAME[this.leg]}(encode)`].filter(Boolean).join(' -> ');
  }

  private decodeBase64(base64: string): number {
    const need = Math.ceil((base64.length * 3) / 4) + 1;
    if (this.raw.length < need) this.raw = Buffer.allocUnsafeSlow(Math.max(need, this.raw.length * 2));
    let offset = 0;
    if (this.carry >= 0) {
      this.raw[0] = this.carry;
      this.carry = -1;
      offset = 1;
    }
    return offset + this.raw.write(base64, offset, 'base64');
  }

  /** Decoded bytes as PCM16 samples (a view over `raw` or over the G.711 decode buffer). */
  private toPcm(n: number): Int16Array {
    if (this.decodeAgentG711) {
      this.pcm = ensure(this.pcm, n * 2, (k) => new Int16Array(k));
      this.decodeAgentG711(this.raw, this.pcm, n);
      return this.pcm.subarray(0, n);
    }
    if (n % 2 === 1) this.carry = this.raw[n - 1]!;
    return new Int16Array(this.raw.buffer, 0, n >> 1);
  }
}
