/**
 * Loss concealment for G.711 frames (a simple form of ITU-T G.711 Appendix
 * I's idea): the first missing frame repeats the last good frame at −6 dB,
 * further ones are silence.
 */
import { g711Decoder, g711Encoder, g711Silence, type G711Law } from './g711.js';

export class FrameConcealer {
  readonly silence: number;
  private readonly last: Uint8Array;
  private readonly pcm: Int16Array;
  private readonly decode: ReturnType<typeof g711Decoder>;
  private readonly encode: ReturnType<typeof g711Encoder>;
  private haveLast = false;
  private run = 0;

  constructor(law: G711Law, private readonly frame: number) {
    this.last = new Uint8Array(frame);
    this.pcm = new Int16Array(frame);
    this.silence = g711Silence(law);
    this.decode = g711Decoder(law);
    this.encode = g711Encoder(law);
  }

  /** A whole real frame was played: the next concealment starts from it. */
  played(frame: Uint8Array): void {
    this.last.set(frame);
    this.haveLast = true;
    this.run = 0;
  }

  /** Write a concealment frame into `out`. */
  conceal(out: Uint8Array): void {
    this.run++;
    if (this.run === 1 && this.haveLast) {
      this.decode(this.last, this.pcm, this.frame);
      for (let i = 0; i < this.frame; i++) this.pcm[i] = this.pcm[i]! >> 1; // −6 dB
      this.encode(this.pcm, out, this.frame);
    } else {
      out.fill(this.silence, 0, this.frame);
    }
  }
}
