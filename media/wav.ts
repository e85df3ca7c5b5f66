/**
 * WAV (RIFF/WAVE) reading and writing. Pure: bytes in, bytes out, no I/O.
 *
 * Only the encodings a phone bridge meets are supported: PCM 16-bit (tag 1),
 * A-law (tag 6) and μ-law (tag 7), plus WAVE_FORMAT_EXTENSIBLE (0xFFFE) wrapping
 * one of those. Anything else fails with a WavError naming what was found, so a
 * user knows to convert it (for example `sox in.wav -r 8000 -c 1 -e u-law out.wav`).
 */

export type WavEncoding = 'pcm16' | 'ulaw' | 'alaw';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  encoding: WavEncoding;
  /** Raw sample bytes (PCM16 is little-endian, as stored in WAV). Owns its buffer (byteOffset 0). */
  data: Uint8Array;
}

export type WavErrorCode =
  | 'not_riff'
  | 'not_wave'
  | 'truncated'
  | 'no_fmt'
  | 'no_data'
  | 'unsupported_format';

export class WavError extends Error {
  override readonly name = 'WavError';
  constructor(
    readonly code: WavErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const FORMAT_PCM = 1;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

interface FmtChunk {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

interface Chunk {
  id: string;
  /** Offset of the chunk body. */
  start: number;
  /** Body length, clamped to the bytes actually present. */
  size: number;
}

function fourcc(view: DataView, at: number): string {
  return String.fromCharCode(
    view.getUint8(at),
    view.getUint8(at + 1),
    view.getUint8(at + 2),
    view.getUint8(at + 3),
  );
}

/** Walks the RIFF chunk list. Chunk bodies are padded to an even length (RIFF spec). */
function* chunks(view: DataView): Generator<Chunk> {
  let at = 12;
  while (at + 8 <= view.byteLength) {
    const id = fourcc(view, at);
    const declared = view.getUint32(at + 4, true);
    const start = at + 8;
    // Streamed recorders write 0 or 0xFFFFFFFF for an unknown data length; trust the file length.
    const remaining = view.byteLength - start;
    const size = id === 'data' && (declared === 0 || declared > remaining) ? remaining : declared;
    if (size > remaining) {
      throw new WavError('truncated', `WAV chunk "${id}" declares ${declared} bytes but only ${remaining} remain`);
    }
    yield { id, start, size };
    at = start + size + (size & 1);
  }
}

function readFmt(view: DataView, chunk: Chunk): FmtChunk {
  if (chunk.size < 16) {
    throw new WavError('truncated', `WAV fmt chunk is ${chunk.size} bytes, expected at least 16`);
  }
  const at = chunk.start;
  let formatTag = view.getUint16(at, true);
  if (formatTag === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the SubFormat GUID,
    // whose first two bytes are the real format tag.
    if (chunk.size < 40) {
      throw new WavError('truncated', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${chunk.size} bytes, expected 40`);
    }
    formatTag = view.getUint16(at + 24, true);
  }
  return {
    formatTag,
    channels: view.getUint16(at + 2, true),
    sampleRate: view.getUint32(at + 4, true),
    blockAlign: view.getUint16(at + 12, true),
    bitsPerSample: view.getUint16(at + 14, true),
  };
}

function encodingOf(fmt: FmtChunk): WavEncoding {
  const describe = `format tag ${fmt.formatTag}, ${fmt.bitsPerSample}-bit`;
  if (fmt.formatTag === FORMAT_PCM && fmt.bitsPerSample === 16) return 'pcm16';
  if (fmt.formatTag === FORMAT_MULAW && fmt.bitsPerSample === 8) return 'ulaw';
  if (fmt.formatTag === FORMAT_ALAW && fmt.bitsPerSample === 8) return 'alaw';
  throw new WavError(
    'unsupported_format',
    `unsupported WAV encoding (${describe}); use 16-bit PCM, 8-bit u-law or 8-bit A-law`,
  );
}

export function parseWav(bytes: Uint8Array): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) throw new WavError('truncated', `WAV is ${bytes.byteLength} bytes, too short for a RIFF header`);
  const riff = fourcc(view, 0);
  if (riff !== 'RIFF') {
    const hint = riff === 'RIFX' || riff === 'RF64' ? ` (${riff} files are not supported)` : '';
    throw new WavError('not_riff', `not a RIFF file${hint}`);
  }
  if (fourcc(view, 8) !== 'WAVE') throw new WavError('not_wave', `RIFF file is "${fourcc(view, 8)}", not WAVE`);

  let fmt: FmtChunk | undefined;
  for (const chunk of chunks(view)) {
    if (chunk.id === 'fmt ') fmt = readFmt(view, chunk);
    if (chunk.id !== 'data') continue;
    if (!fmt) throw new WavError('no_fmt', 'WAV data chunk comes before any fmt chunk');
    const encoding = encodingOf(fmt);
    if (fmt.channels < 1) throw new WavError('unsupported_format', 'WAV declares 0 channels');
    // Drop a trailing partial sample frame rather than hand callers a misaligned buffer.
    const frame = fmt.channels * (encoding === 'pcm16' ? 2 : 1);
    const size = chunk.size - (chunk.size % frame);
    const data = bytes.slice(chunk.start, chunk.start + size);
    return { sampleRate: fmt.sampleRate, channels: fmt.channels, encoding, data };
  }
  throw new WavError(fmt ? 'no_data' : 'no_fmt', fmt ? 'WAV has no data chunk' : 'WAV has no fmt chunk');
}

export interface EncodeWavInput {
  sampleRate: number;
  encoding: WavEncoding;
  /** Raw bytes (PCM16 little-endian), or PCM16 samples as an Int16Array. */
  data: Uint8Array | Int16Array;
  channels?: number;
}

function rawBytes(data: Uint8Array | Int16Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return pcm16ToBytes(data);
}

/**
 * Writes a canonical WAV. Non-PCM formats get an 18-byte fmt chunk (cbSize = 0)
 * and a `fact` chunk, as the WAVE spec requires for compressed formats; sox does the same.
 */
export function encodeWav(input: EncodeWavInput): Uint8Array {
  const channels = input.channels ?? 1;
  const data = rawBytes(input.data);
  const pcm = input.encoding === 'pcm16';
  const bytesPerSample = pcm ? 2 : 1;
  const blockAlign = channels * bytesPerSample;
  const fmtSize = pcm ? 16 : 18;
  const factSize = pcm ? 0 : 12;
  const pad = data.byteLength & 1;
  const total = 12 + 8 + fmtSize + factSize + 8 + data.byteLength + pad;

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const put4 = (at: number, s: string) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  put4(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  put4(8, 'WAVE');
  put4(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  const tag = pcm ? FORMAT_PCM : input.encoding === 'ulaw' ? FORMAT_MULAW : FORMAT_ALAW;
  view.setUint16(20, tag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, input.sampleRate, true);
  view.setUint32(28, input.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 20 + fmtSize; // cbSize (if present) is already zero
  if (!pcm) {
    put4(at, 'fact');
    view.setUint32(at + 4, 4, true);
    view.setUint32(at + 8, Math.floor(data.byteLength / blockAlign), true);
    at += 12;
  }
  put4(at, 'data');
  view.setUint32(at + 4, data.byteLength, true);
  out.set(data, at + 8);
  return out;
}

/** PCM16 little-endian bytes → samples (independent of host byte order). */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** Samples → PCM16 little-endian bytes. */
export function pcm16ToBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return out;
}
