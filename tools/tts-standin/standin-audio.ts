/**
 * Audio the stand-in "synthesizes": a synthetic tone whose length follows the
 * text (60 ms per character, at least 0.5 s), or real speech from espeak-ng.
 * Returned as 8 kHz G.711 in the requested law, like `ulaw_8000`/`alaw_8000`.
 */
import { spawnSync } from 'node:child_process';
import { g711Encoder, type G711Law } from '../../media/g711.js';
import { Resampler } from '../../media/resampler.js';
import { parseWav, pcm16FromBytes } from '../../media/wav.js';

export type StandInAudioSource = 'tone' | 'espeak';

export const TONE_HZ = 440;
export const MS_PER_CHAR = 60;

export function synthesizeAudio(text: string, law: G711Law, source: StandInAudioSource): Uint8Array {
  const pcm = source === 'tone' ? tone(text) : speech(text);
  const out = new Uint8Array(pcm.length);
  g711Encoder(law)(pcm, out);
  return out;
}

/** A 440 Hz tone with a soft 20 ms fade in and out, so frame order is visible in the phase. */
function tone(text: string): Int16Array {
  const n = Math.max(4000, Math.round((text.trim().length * MS_PER_CHAR * 8000) / 1000));
  const pcm = new Int16Array(n);
  const fade = 160;
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    pcm[i] = Math.round(8000 * env * Math.sin((2 * Math.PI * TONE_HZ * i) / 8000));
  }
  return pcm;
}

function speech(text: string): Int16Array {
  const r = spawnSync('espeak-ng', ['--stdout', '-b', '1', '-v', 'en-us'], { input: text, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`espeak-ng failed: ${r.error?.message ?? r.stderr.toString()}`);
  const wav = parseWav(r.stdout);
  const pcm = pcm16FromBytes(wav.data);
  const resampler = new Resampler(wav.sampleRate, 8000);
  const out = new Int16Array(resampler.maxOutputLength(pcm.length));
  return out.slice(0, resampler.process(pcm, out));
}
