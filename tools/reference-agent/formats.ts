/**
 * Agent WebSocket audio formats and the conversions the reference agent needs.
 *
 * protocols.md §4.6: `agent_output_audio_format` / `user_input_audio_format` take
 * `pcm_8000 … pcm_48000` (signed 16-bit little-endian mono) or `ulaw_8000`; there is
 * no A-law on the agent socket. The SDK's parseFormat accepts only `pcm` and `ulaw`.
 *
 * WHY alawmulaw and not media/g711.ts: this server stands in for the remote service,
 * so it must not share codec code with the bridge under test; a bug in one
 * implementation then shows up as a test failure instead of cancelling out.
 */
import alawmulaw from 'alawmulaw';

export const AGENT_AUDIO_FORMATS = [
  'ulaw_8000',
  'pcm_8000',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'pcm_48000',
] as const;

export type AgentAudioFormat = (typeof AGENT_AUDIO_FORMATS)[number];

export interface FormatSpec {
  readonly name: AgentAudioFormat;
  readonly encoding: 'pcm16' | 'ulaw';
  readonly sampleRate: number;
  readonly bytesPerSample: 1 | 2;
}

export function isAgentAudioFormat(value: unknown): value is AgentAudioFormat {
  return typeof value === 'string' && (AGENT_AUDIO_FORMATS as readonly string[]).includes(value);
}

export function formatSpec(name: AgentAudioFormat): FormatSpec {
  const [prefix, rate] = name.split('_');
  const ulaw = prefix === 'ulaw';
  return { name, encoding: ulaw ? 'ulaw' : 'pcm16', sampleRate: Number(rate), bytesPerSample: ulaw ? 1 : 2 };
}

/** Milliseconds of audio held in `byteLength` bytes of this format. */
export function bytesToMs(spec: FormatSpec, byteLength: number): number {
  return (Math.floor(byteLength / spec.bytesPerSample) * 1000) / spec.sampleRate;
}

/**
 * Wire bytes → PCM16 samples. PCM is little-endian (§4.6); a trailing odd byte is
 * dropped (the caller records it as a protocol violation). Copies into a fresh,
 * aligned buffer because Buffer.from(base64) may return an unaligned pool slice.
 */
export function decodeToPcm(spec: FormatSpec, bytes: Uint8Array): Int16Array {
  if (spec.encoding === 'ulaw') return alawmulaw.mulaw.decode(bytes);
  const count = bytes.length >> 1;
  const out = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** PCM16 samples (already at spec.sampleRate) → wire bytes of this format. */
export function encodeFromPcm(spec: FormatSpec, pcm: Int16Array): Buffer {
  if (spec.encoding === 'ulaw') return Buffer.from(alawmulaw.mulaw.encode(pcm));
  const out = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i]!, i * 2);
  return out;
}
