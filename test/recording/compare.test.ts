/**
 * The comparison helpers themselves: a run the recording does not hold fails
 * with how far it lies outside, and realignment keeps a run found at a
 * negative lag whole (its place on the reference may lie past the recording's end).
 */
import { describe, expect, it } from 'vitest';
import { toneInt16 } from '../support/signal.js';
import { realign, runFits } from './compare.js';

const tone = toneInt16(440, 8000, 0.5, 8000);

describe('runFits / realign', () => {
  it('a run that ends past the recording at every lag fails saying by how much', () => {
    const ref = new Int16Array(8000);
    ref.set(tone, 4000);
    const rec = ref.slice(0, 6000); // stops 250 ms into the run
    expect(() => runFits(ref, rec, [[4000, 8000]], 80, 400)).toThrow(/ends 240\.00 ms past the recording's end \(750\.00 ms\) even at lag −10\.00 ms/);
  });

  it('a run found earlier in the recording is realigned whole, past the recording’s end', () => {
    const ref = new Int16Array(8000);
    ref.set(tone, 4000);
    const rec = new Int16Array(7960);
    rec.set(tone, 3960); // 5 ms early; ends 40 samples before the reference's run does
    const fits = runFits(ref, rec, [[4000, 8000]], 80, 400);
    expect(fits[0]).toMatchObject({ lag: -40 });
    expect(fits[0]!.corr).toBeGreaterThan(0.999);
    expect(Array.from(realign(rec, fits))).toEqual(Array.from(ref));
  });
});
