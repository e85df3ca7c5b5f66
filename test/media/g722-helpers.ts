/**
 * Helpers for the G.722 tests: ffmpeg as the independent implementation
 * (through pipes, no temp files) and delay-aligned SNR.
 */
import { spawnSync } from 'node:child_process';
import { bytesToInt16, int16ToBytes } from '../support/audio-tools.js';
import { snrDb } from '../support/signal.js';

function ffmpeg(args: string[], input: Uint8Array): Uint8Array {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/** ffmpeg's G.722 encoder (libavcodec `g722`, no trellis) on 16 kHz PCM16. */
export function ffmpegEncodeG722(pcm: Int16Array): Uint8Array {
  return ffmpeg(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', '-c:a', 'g722', '-f', 'g722', 'pipe:1'], int16ToBytes(pcm));
}

/** ffmpeg's G.722 decoder to 16 kHz PCM16. */
export function ffmpegDecodeG722(bytes: Uint8Array): Int16Array {
  return bytesToInt16(ffmpeg(['-f', 'g722', '-i', 'pipe:0', '-f', 's16le', '-ar', '16000', '-ac', '1', 'pipe:1'], bytes));
}

/**
 * SNR (dB) of `decoded` against `original` at the lag (0…maxLag samples of
 * codec delay) that maximises it; G.722's two QMFs delay by 23 samples.
 */
export function alignedSnr(original: Int16Array, decoded: Int16Array, maxLag = 64): { snr: number; lag: number } {
  let best = { snr: -Infinity, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag++) {
    const n = Math.min(original.length, decoded.length - lag);
    const snr = snrDb(original.subarray(0, n), decoded.subarray(lag, lag + n));
    if (snr > best.snr) best = { snr, lag };
  }
  return best;
}
