import { formatName, type AudioFormat } from '../../media/audio-format.js';
import { FrameChunker } from '../../media/frame-chunker.js';
import { g711Decoder, g711Encoder, g711Silence, type G711Law } from '../../media/g711.js';
import { Resampler } from '../../media/resampler.js';
import type { InboundAudio } from './call-leg.js';

const PHONE_RATE = 8000;
const FRAME_BYTES = 160; // 20 ms of G.711 at 8 kHz

/** Grows a typed array only when a larger chunk arrives; steady state allocates nothing. */
function ensure<T extends Int16Array | Uint8Array>(buf: T, length: number, make: (n: number) => T): T {
  return buf.length >= length ? buf : make(Math.max(length, buf.length * 2));
}

const LEG_NAME: Record<G711Law, string> = { ulaw: 'PCMU', alaw: 'PCMA' };

/**
 * Caller → agent: G.711 frames from the phone to base64 in the agent's input
 * format. μ-law in, μ-law out relays the provider's bytes untouched.
 */
export class Uplink {
  private readonly passthrough: boolean;
  private readonly decode: ReturnType<typeof g711Decoder>;
  private readonly encodeAgentG711: ReturnType<typeof g711Encoder> | undefined;
  private readonly resampler: Resampler | undefined;
  private pcm = new Int16Array(320);
  private out = new Int16Array(960);
  private bytes = new Uint8Array(320);

  constructor(private readonly leg: G711Law, private readonly agent: AudioFormat) {
    this.passthrough = agent.encoding === leg;
    this.decode = g711Decoder(leg);
    this.encodeAgentG711 = agent.encoding === 'pcm16' ? undefined : g711Encoder(agent.encoding);
    this.resampler = agent.sampleRate === PHONE_RATE ? undefined : new Resampler(PHONE_RATE, agent.sampleRate);
  }

  /** The phone audio as 8 kHz PCM (for voice detection); valid until the next call. */
  decodePhone(frame: InboundAudio): Int16Array {
    const n = frame.payload.length;
    this.pcm = ensure(this.pcm, n, (k) => new Int16Array(k));
    this.decode(frame.payload, this.pcm, n);
    return this.pcm.subarray(0, n);
  }

  /** Base64 for `user_audio_chunk`. Pass `decoded` if `decodePhone` already ran on this frame. */
  toAgent(frame: InboundAudio, decoded?: Int16Array): string {
    if (this.passthrough) return frame.base64 ?? Buffer.from(frame.payload).toString('base64');
    const pcm = decoded ?? this.decodePhone(frame);
    if (this.encodeAgentG711) {
      this.bytes = ensure(this.bytes, pcm.length, (k) => new Uint8Array(k));
      this.encodeAgentG711(pcm, this.bytes, pcm.length);
      return Buffer.from(this.bytes.buffer, 0, pcm.length).toString('base64');
    }
    let samples = pcm;
    if (this.resampler) {
      this.out = ensure(this.out, this.resampler.maxOutputLength(pcm.length), (k) => new Int16Array(k));
      samples = this.out.subarray(0, this.resampler.process(pcm, this.out));
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
 * exact 20 ms G.711 frames for the phone leg.
 */
export class Downlink {
  private readonly chunker = new FrameChunker(FRAME_BYTES);
  private readonly passthrough: boolean;
  private readonly decodeAgentG711: ReturnType<typeof g711Decoder> | undefined;
  private readonly encode: ReturnType<typeof g711Encoder>;
  private readonly resampler: Resampler | undefined;
  /** Raw decoded bytes; its own ArrayBuffer at offset 0 so an Int16Array view is always aligned. */
  private raw = Buffer.allocUnsafeSlow(4096);
  /** PCM16 chunks may split a sample across messages: the odd byte waits here. */
  private carry = -1;
  private pcm = new Int16Array(2048);
  private resampled = new Int16Array(2048);
  private g711 = new Uint8Array(2048);

  constructor(private readonly agent: AudioFormat, private readonly leg: G711Law) {
    this.passthrough = agent.encoding === leg;
    this.decodeAgentG711 = agent.encoding === 'pcm16' ? undefined : g711Decoder(agent.encoding);
    this.encode = g711Encoder(leg);
    this.resampler = agent.sampleRate === PHONE_RATE ? undefined : new Resampler(agent.sampleRate, PHONE_RATE);
  }

  push(base64: string, onFrame: (frame: Uint8Array) => void): void {
    const n = this.decodeBase64(base64);
    if (this.passthrough) return this.chunker.push(this.raw.subarray(0, n), onFrame);
    const pcm = this.toPcm(n);
    let samples = pcm;
    if (this.resampler) {
      this.resampled = ensure(this.resampled, this.resampler.maxOutputLength(pcm.length), (k) => new Int16Array(k));
      samples = this.resampled.subarray(0, this.resampler.process(pcm, this.resampled));
    }
    this.g711 = ensure(this.g711, samples.length, (k) => new Uint8Array(k));
    this.encode(samples, this.g711, samples.length);
    this.chunker.push(this.g711.subarray(0, samples.length), onFrame);
  }

  /** End of an utterance: the last partial frame goes out padded with silence. */
  flush(onFrame: (frame: Uint8Array) => void): void {
    this.chunker.flush(onFrame, g711Silence(this.leg));
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
