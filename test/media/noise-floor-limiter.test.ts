import { describe, expect, it } from 'vitest';
import { NoiseFloorLimiter } from '../../media/noise-floor-limiter.js';
import type { FrameClassifier } from '../../media/speech-detector.js';

/** Records the level of every frame the inner classifier is shown. */
class LevelProbe implements FrameClassifier {
  levelsDbfs: number[] = [];
  isSpeech(frame: Int16Array): boolean {
    let s = 0;
    for (const v of frame) s += v * v;
    this.levelsDbfs.push(10 * Math.log10(s / frame.length / 32768 ** 2));
    return false;
  }
}

let seed = 7;
function noiseFrame(amplitude: number): Int16Array {
  return Int16Array.from({ length: 160 }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return Math.round((seed / 0x7fffffff - 0.5) * 2 * amplitude);
  });
}
const dbfsOf = (amplitude: number) => 20 * Math.log10(amplitude / Math.sqrt(3) / 32768);

describe('NoiseFloorLimiter', () => {
  it('passes quiet noise through untouched', () => {
    const probe = new LevelProbe();
    const limiter = new NoiseFloorLimiter(probe, { maxFloorDbfs: -40 });
    for (let i = 0; i < 100; i++) limiter.isSpeech(noiseFrame(300)); // ≈ -45 dBFS
    expect(limiter.attenuationDb).toBe(0);
    expect(Math.max(...probe.levelsDbfs)).toBeLessThan(-43);
  });

  it('brings loud stationary noise down to the maximum floor', () => {
    const probe = new LevelProbe();
    const limiter = new NoiseFloorLimiter(probe, { maxFloorDbfs: -40 });
    const amplitude = 5000; // ≈ -21 dBFS
    for (let i = 0; i < 100; i++) limiter.isSpeech(noiseFrame(amplitude));
    const after = probe.levelsDbfs.slice(50);
    // Frames vary around the floor (the floor is their minimum), so within ~2 dB above it.
    expect(Math.min(...after)).toBeGreaterThan(-40.5);
    expect(Math.max(...after)).toBeLessThan(-37.5);
    expect(limiter.attenuationDb).toBeGreaterThan(-40 - dbfsOf(amplitude) - 2);
  });

  it('keeps the speech-to-noise ratio: a burst over loud noise stays 20 dB above it', () => {
    const probe = new LevelProbe();
    const limiter = new NoiseFloorLimiter(probe, { maxFloorDbfs: -40 });
    for (let i = 0; i < 100; i++) limiter.isSpeech(noiseFrame(2000));
    limiter.isSpeech(noiseFrame(20000));
    const [noise, burst] = [probe.levelsDbfs[98], probe.levelsDbfs[100]];
    expect(burst - noise).toBeGreaterThan(18);
  });

  it('forgets a loud past after one window', () => {
    const probe = new LevelProbe();
    const limiter = new NoiseFloorLimiter(probe, { maxFloorDbfs: -40, windowMs: 1000 });
    for (let i = 0; i < 100; i++) limiter.isSpeech(noiseFrame(5000));
    for (let i = 0; i < 2; i++) limiter.isSpeech(noiseFrame(100));
    expect(limiter.attenuationDb).toBe(0);
    // A loud frame right after is judged against the quiet floor: unattenuated.
    limiter.isSpeech(noiseFrame(5000));
    expect(limiter.attenuationDb).toBe(0);
  });
});
