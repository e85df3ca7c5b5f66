/**
 * Audio formats as the ElevenLabs agent announces them (`pcm_16000`,
 * `ulaw_8000`, …; shared/reference/protocols.md §4.6). PCM is signed 16-bit
 * little-endian mono.
 */
export type Encoding = 'pcm16' | 'ulaw' | 'alaw';

export interface AudioFormat {
  encoding: Encoding;
  sampleRate: number;
}

const PCM_RATES = new Set([8000, 16000, 22050, 24000, 44100, 48000]);

export function parseAudioFormat(name: string): AudioFormat {
  const match = /^(pcm|ulaw|alaw)_(\d+)$/.exec(name);
  const rate = Number(match?.[2]);
  if (match?.[1] === 'pcm' && PCM_RATES.has(rate)) return { encoding: 'pcm16', sampleRate: rate };
  if ((match?.[1] === 'ulaw' || match?.[1] === 'alaw') && rate === 8000) return { encoding: match[1], sampleRate: 8000 };
  throw new Error(`unsupported audio format: ${name}`);
}

export function formatName(f: AudioFormat): string {
  return `${f.encoding === 'pcm16' ? 'pcm' : f.encoding}_${f.sampleRate}`;
}
