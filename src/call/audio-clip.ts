import { readFileSync } from 'node:fs';
import { FrameChunker } from '../../media/frame-chunker.js';
import { g711Decoder, type G711Law } from '../../media/g711.js';
import { Resampler } from '../../media/resampler.js';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';
import { legSilenceByte, type LegCodec } from './call-leg.js';
import { legEncoder, legSampleRate } from './leg-codec.js';

/** A short prompt the bridge plays itself (fallback, goodbye), kept as 8 kHz PCM. */
export interface AudioClip {
  name: string;
  pcm8k: Int16Array;
  durationMs: number;
}

/** Loads a WAV (PCM16, μ-law or A-law, any rate, mono or not) as 8 kHz mono PCM. */
export function loadWavClip(path: string): AudioClip {
  const wav = parseWav(readFileSync(path));
  let pcm: Int16Array =
    wav.encoding === 'pcm16' ? pcm16FromBytes(wav.data) : decodeG711(wav.data, wav.encoding);
  if (wav.channels > 1) pcm = firstChannel(pcm, wav.channels);
  if (wav.sampleRate !== 8000) pcm = resample(pcm, wav.sampleRate, 8000);
  return { name: path, pcm8k: pcm, durationMs: (pcm.length / 8000) * 1000 };
}

/** Speech synthesized as 8 kHz μ-law (what the TTS engines give) as a clip. */
export function clipFromUlaw(name: string, ulaw: Uint8Array): AudioClip {
  const pcm = decodeG711(ulaw, 'ulaw');
  return { name, pcm8k: pcm, durationMs: (pcm.length / 8000) * 1000 };
}

/** Two soft 425 Hz beeps: what the caller hears when no fallback WAV is configured. */
export function defaultFallbackClip(): AudioClip {
  const rate = 8000;
  const pcm = new Int16Array(rate); // 1 s: beep 300 ms, gap 200 ms, beep 300 ms, gap 200 ms
  for (const start of [0, 0.5]) {
    for (let i = 0; i < 0.3 * rate; i++) pcm[start * rate + i] = Math.round(6000 * Math.sin((2 * Math.PI * 425 * i) / rate));
  }
  return { name: 'built-in tone', pcm8k: pcm, durationMs: 1000 };
}

/** The clip as exact 20 ms frames in the leg's codec (G.722: upsampled to 16 kHz), the last one padded with silence. */
export function clipFrames(clip: AudioClip, codec: LegCodec): Uint8Array[] {
  const rate = legSampleRate(codec);
  const pcm = rate === 8000 ? clip.pcm8k : resample(clip.pcm8k, 8000, rate);
  const bytes = new Uint8Array(pcm.length);
  const n = legEncoder(codec)(pcm, bytes);
  const frames: Uint8Array[] = [];
  const chunker = new FrameChunker(160);
  chunker.push(bytes.subarray(0, n), (f) => frames.push(f));
  chunker.flush((f) => frames.push(f), legSilenceByte(codec));
  return frames;
}

function decodeG711(data: Uint8Array, law: G711Law): Int16Array {
  const out = new Int16Array(data.length);
  g711Decoder(law)(data, out);
  return out;
}

function firstChannel(pcm: Int16Array, channels: number): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / channels));
  for (let i = 0; i < out.length; i++) out[i] = pcm[i * channels]!;
  return out;
}

function resample(pcm: Int16Array, rate: number, to: number): Int16Array {
  const r = new Resampler(rate, to);
  const out = new Int16Array(r.maxOutputLength(pcm.length));
  return out.slice(0, r.process(pcm, out));
}
