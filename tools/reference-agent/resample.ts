/**
 * A small stateful linear-interpolation resampler.
 *
 * WHY our own and not media/resampler.ts: the reference agent is an independent
 * stand-in for the remote service (see formats.ts). Linear interpolation without an
 * anti-aliasing filter is enough for a test peer and a demo voice; it is not meant
 * for measuring audio quality.
 */
export class LinearResampler {
  private readonly step: number;
  /** Position of the next output sample in input samples; index -1 is `prev`. */
  private pos = 0;
  private prev = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    this.step = inRate / outRate;
  }

  /** Resamples one chunk; state carries over so a stream can be fed in pieces. */
  process(input: Int16Array): Int16Array {
    if (this.inRate === this.outRate || input.length === 0) return input;
    const last = input.length - 1;
    let p = this.pos;
    const out = new Int16Array(Math.max(0, Math.ceil((last - p) / this.step)) + 1);
    let k = 0;
    while (p < last) {
      const i = Math.floor(p);
      const a = i < 0 ? this.prev : input[i]!;
      const b = input[i + 1]!;
      out[k++] = Math.round(a + (b - a) * (p - i));
      p += this.step;
    }
    this.pos = p - input.length;
    this.prev = input[last]!;
    return out.subarray(0, k);
  }
}

/** One-shot conversion of a whole clip (first message, scripted replies). */
export function resampleClip(pcm: Int16Array, inRate: number, outRate: number): Int16Array {
  if (inRate === outRate) return pcm;
  const r = new LinearResampler(inRate, outRate);
  // Feed the clip plus one repeated sample so the final input sample is emitted too.
  const padded = new Int16Array(pcm.length + 1);
  padded.set(pcm);
  padded[pcm.length] = pcm[pcm.length - 1] ?? 0;
  return r.process(padded);
}
