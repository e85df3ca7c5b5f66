/** Loads a WAV file (via media/wav.ts) as a mono PCM16 clip for the agent to say. */
import { readFile } from 'node:fs/promises';
import { alawToPcm, mulawToPcm } from '../../media/g711.js';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';
import type { PcmClip } from './types.js';

export async function loadWavClip(path: string): Promise<PcmClip> {
  const wav = parseWav(new Uint8Array(await readFile(path)));
  let samples: Int16Array;
  if (wav.encoding === 'pcm16') samples = pcm16FromBytes(wav.data);
  else {
    samples = new Int16Array(wav.data.length);
    (wav.encoding === 'ulaw' ? mulawToPcm : alawToPcm)(wav.data, samples);
  }
  return { pcm: downmix(samples, wav.channels), sampleRate: wav.sampleRate };
}

/** Interleaved channels → mono by averaging; the agent socket is mono (§4.6). */
function downmix(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const out = new Int16Array(Math.floor(interleaved.length / channels));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}
