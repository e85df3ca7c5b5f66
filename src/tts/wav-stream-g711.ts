/**
 * Streaming WAV (PCM16, any rate) → 8 kHz G.711, for engines that write a WAV
 * to a pipe (espeak-ng `--stdout`): the header is parsed as soon as it has
 * arrived (its sizes are placeholders on a pipe), then every chunk is
 * resampled with one stateful `Resampler` and encoded, so output flows as
 * input does. Pure: bytes in, bytes out.
 */
import { g711Encoder, type G711Law } from '../../media/g711.js';
import { Resampler } from '../../media/resampler.js';
import { TtsError } from './tts-engine.js';

const MAX_HEADER_BYTES = 64 * 1024;

interface PcmLayout {
  sampleRate: number;
  channels: number;
}

export class WavStreamToG711 {
  private head: Uint8Array = new Uint8Array(0);
  private layout: PcmLayout | undefined;
  private resampler: Resampler | undefined;
  private carry: Uint8Array = new Uint8Array(0);
  private readonly encode: (src: Int16Array, dst: Uint8Array, count?: number) => void;

  constructor(law: G711Law) {
    this.encode = g711Encoder(law);
  }

  /** Source sample rate once the header has been read. */
  get sampleRate(): number | undefined {
    return this.layout?.sampleRate;
  }

  /** Feeds WAV bytes; returns the G.711 bytes now ready (possibly none). */
  push(bytes: Uint8Array): Uint8Array {
    if (this.layout) return this.convert(bytes);
    this.head = concat(this.head, bytes);
    const found = readHeader(this.head);
    if (!found) {
      if (this.head.length > MAX_HEADER_BYTES) throw new TtsError('engine_failed', 'WAV header not found in the first 64 KiB');
      return new Uint8Array(0);
    }
    this.layout = found.layout;
    this.resampler = new Resampler(found.layout.sampleRate, 8000);
    const rest = this.head.subarray(found.dataStart);
    this.head = new Uint8Array(0);
    return this.convert(rest);
  }

  private convert(bytes: Uint8Array): Uint8Array {
    const frameBytes = 2 * this.layout!.channels;
    const all = this.carry.length ? concat(this.carry, bytes) : bytes;
    const usable = all.length - (all.length % frameBytes);
    this.carry = all.slice(usable);
    const count = usable / frameBytes;
    if (count === 0) return new Uint8Array(0);
    const view = new DataView(all.buffer, all.byteOffset, usable);
    const pcm = new Int16Array(count);
    for (let i = 0; i < count; i++) pcm[i] = view.getInt16(i * frameBytes, true); // first channel
    const out = new Int16Array(this.resampler!.maxOutputLength(count));
    const n = this.resampler!.process(pcm, out);
    const g711 = new Uint8Array(n);
    this.encode(out, g711, n);
    return g711;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Finds fmt and the start of data; undefined while more bytes are needed. */
function readHeader(b: Uint8Array): { layout: PcmLayout; dataStart: number } | undefined {
  if (b.length < 12) return undefined;
  if (fourcc(b, 0) !== 'RIFF' || fourcc(b, 8) !== 'WAVE') throw new TtsError('engine_failed', 'engine output is not a WAV stream');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let layout: PcmLayout | undefined;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = fourcc(b, at);
    const size = view.getUint32(at + 4, true);
    if (id === 'data') {
      if (!layout) throw new TtsError('engine_failed', 'WAV data before fmt');
      return { layout, dataStart: at + 8 };
    }
    if (at + 8 + size > b.length) return undefined;
    if (id === 'fmt ') layout = readFmt(view, at + 8);
    at += 8 + size + (size & 1);
  }
  return undefined;
}

function readFmt(view: DataView, at: number): PcmLayout {
  const tag = view.getUint16(at, true);
  const bits = view.getUint16(at + 14, true);
  if (tag !== 1 || bits !== 16) throw new TtsError('engine_failed', `engine WAV is format ${tag}/${bits}-bit, expected 16-bit PCM`);
  return { channels: Math.max(1, view.getUint16(at + 2, true)), sampleRate: view.getUint32(at + 4, true) };
}
