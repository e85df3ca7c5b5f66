/**
 * The ringback tone a caller hears while the far end rings, as PCM16: the
 * North American cadence of ITU-T E.180 Supplement 2 / ANSI T1.401 (440 Hz +
 * 480 Hz, 2 s on, 4 s off), each tone at −19 dBm0. Pure: one cadence cycle,
 * computed once per sample rate.
 */

const ON_MS = 2000;
const CYCLE_MS = 6000;
/** −19 dBm0 per tone: 0 dBm0 is a sine of amplitude ~22 700 in 16-bit linear PCM (G.711 digital milliwatt). */
const AMPLITUDE = Math.round(22_700 * 10 ** (-19 / 20));

const cache = new Map<number, Int16Array>();

/** One 6 s cycle (2 s tone, 4 s silence) at `sampleRate`. */
export function ringbackCycle(sampleRate: number): Int16Array {
  const known = cache.get(sampleRate);
  if (known) return known;
  const out = new Int16Array((sampleRate * CYCLE_MS) / 1000);
  const on = (sampleRate * ON_MS) / 1000;
  for (let i = 0; i < on; i++) {
    const t = i / sampleRate;
    out[i] = Math.round(AMPLITUDE * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t)));
  }
  cache.set(sampleRate, out);
  return out;
}
