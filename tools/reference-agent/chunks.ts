/**
 * How agent audio is cut into `audio` events.
 *
 * The real service sends TTS output in chunks of varying size that have nothing to
 * do with the phone's 20 ms frames, and faster than real time (the bridge has to
 * re-chunk and pace them). We imitate that: each chunk is 50–250 ms by default,
 * and never a whole number of 20 ms frames.
 */
import type { PcmClip } from './types.js';

/** mulberry32: tiny seeded PRNG so chunk sizes are reproducible in tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample counts that add up to `totalSamples`; only the last may be frame-aligned. */
export function planChunks(
  totalSamples: number,
  sampleRate: number,
  random: () => number,
  minMs = 50,
  maxMs = 250,
): number[] {
  const frame = sampleRate / 50; // samples in 20 ms
  const sizes: number[] = [];
  let left = totalSamples;
  while (left > 0) {
    const ms = minMs + random() * (maxMs - minMs);
    let n = Math.max(1, Math.round((ms * sampleRate) / 1000));
    if (n % frame === 0) n += 1 + Math.floor(random() * (frame - 1));
    n = Math.min(n, left);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** A quiet 440 Hz tone, used when an utterance has text but no audio. */
export function toneClip(ms: number, sampleRate: number, amplitude = 3000): PcmClip {
  const pcm = new Int16Array(Math.round((ms * sampleRate) / 1000));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
  return { pcm, sampleRate };
}
