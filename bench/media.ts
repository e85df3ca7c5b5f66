/**
 * Micro-benchmark of the media hot path on 20 ms frames: G.711 and G.722 encode/decode
 * and every resampler direction the bridge uses. Prints the median µs/frame
 * over many timed batches (after warm-up, so the JIT has settled).
 *
 *   npx tsx bench/media.ts
 */
import { mulawToPcm, pcmToMulaw, alawToPcm, pcmToAlaw } from '../media/g711.js';
import { G722Decoder, G722Encoder } from '../media/g722.js';
import { Resampler } from '../media/resampler.js';

const BATCHES = 41;
const FRAMES_PER_BATCH = 500;

function testSignal(rate: number, samples: number): Int16Array {
  const x = new Int16Array(samples);
  let seed = 12345;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = ((seed >>> 16) / 65536 - 0.5) * 2000;
    x[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate) + noise);
  }
  return x;
}

/** CPU time (user + system) in µs: unlike wall time it excludes time the
 * process spends descheduled on a shared machine, and it is what the
 * per-call CPU budget is written in. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median CPU-µs per call of `fn` (each call = one 20 ms frame). */
function timePerFrame(fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up: let the JIT optimise
  const results: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = cpuMicros();
    for (let i = 0; i < FRAMES_PER_BATCH; i++) fn();
    results.push((cpuMicros() - t0) / FRAMES_PER_BATCH);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)]!;
}

function benchResampler(inRate: number, outRate: number): number {
  const r = new Resampler(inRate, outRate);
  const frame = (inRate * 20) / 1000;
  const signal = testSignal(inRate, frame * 50);
  const out = new Int16Array(r.maxOutputLength(frame));
  let k = 0;
  return timePerFrame(() => {
    r.process(signal.subarray(k * frame, (k + 1) * frame), out);
    k = (k + 1) % 50;
  });
}

function benchG711(): Array<[string, number]> {
  const pcm = testSignal(8000, 160);
  const codes = new Uint8Array(160);
  const back = new Int16Array(160);
  return [
    ['pcmToMulaw (160)', timePerFrame(() => pcmToMulaw(pcm, codes))],
    ['mulawToPcm (160)', timePerFrame(() => mulawToPcm(codes, back))],
    ['pcmToAlaw (160)', timePerFrame(() => pcmToAlaw(pcm, codes))],
    ['alawToPcm (160)', timePerFrame(() => alawToPcm(codes, back))],
  ];
}

function benchG722(): Array<[string, number]> {
  const pcm = testSignal(16000, 320);
  const codes = new Uint8Array(160);
  const back = new Int16Array(320);
  const enc = new G722Encoder();
  const dec = new G722Decoder();
  return [
    ['G722 encode (320)', timePerFrame(() => enc.encode(pcm, codes))],
    ['G722 decode (160)', timePerFrame(() => dec.decode(codes, back))],
  ];
}

function main(): void {
  const rows: Array<[string, number]> = [...benchG711(), ...benchG722()];
  for (const rate of [16000, 22050, 24000, 44100, 48000]) {
    rows.push([`resample(8000->${rate})`, benchResampler(8000, rate)]);
    rows.push([`resample(${rate}->8000)`, benchResampler(rate, 8000)]);
  }
  console.log('median CPU-µs per 20 ms frame');
  for (const [name, us] of rows) console.log(`${name.padEnd(26)} ${us.toFixed(2)}`);
}

main();
