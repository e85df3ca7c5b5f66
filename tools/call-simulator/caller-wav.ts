/** Turns a caller WAV into audio the stand-in can stream: mono, 8 kHz, μ-law or PCM16. */
import alawmulaw from 'alawmulaw';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';
import type { CallerAudio } from '../twilio-standin/caller-audio.js';

const SOX_HINT = 'convert it with: sox input.wav -r 8000 -c 1 -e u-law caller.wav';

export function callerAudioFromWav(bytes: Uint8Array): { audio: CallerAudio; seconds: number } {
  const wav = parseWav(bytes);
  if (wav.sampleRate !== 8000 || wav.channels !== 1) {
    throw new Error(`caller WAV is ${wav.sampleRate} Hz, ${wav.channels} channel(s); phone audio is 8000 Hz mono: ${SOX_HINT}`);
  }
  if (wav.encoding === 'ulaw') return { audio: { ulaw: wav.data }, seconds: wav.data.byteLength / 8000 };
  const pcm = wav.encoding === 'alaw' ? alawmulaw.alaw.decode(wav.data) : pcm16FromBytes(wav.data);
  return { audio: { pcm8k: pcm }, seconds: pcm.length / 8000 };
}
