/**
 * G.722 wideband speech codec, 64 kbit/s mode (ITU-T G.722 (09/2012), mode 1):
 * 16 kHz PCM16 ⇄ one octet per two samples (20 ms = 320 samples = 160 octets).
 *
 * Structure (§1.2): a 24-tap quadrature mirror filter splits the signal into
 * a lower (0–4 kHz) and a higher (4–8 kHz) sub-band at 8 kHz each (§3.1/§4.4);
 * each sub-band is coded with backward-adaptive ADPCM — 6 bits for the lower
 * band, 2 for the higher (§3.2–3.3, state in g722-adpcm.ts). Octet layout:
 * IH in the two most significant bits, IL in the six others (§1.4.3).
 *
 * Stateful, pure, allocation-free when the caller passes `out`. The encoder
 * accepts any sample count: an odd last sample is held and coded with the
 * first sample of the next call, so chunking never changes the bitstream.
 *
 * Scaling: the Recommendation's PCM is 14-bit; here input/output are 16-bit,
 * so the transmit QMF divides by 2^14 (not 2^13) and the receive QMF by 2^11
 * (not 2^12) — the usual choice of 16-bit implementations (ffmpeg does the
 * same, which the interop tests in test/media/g722-interop.test.ts rely on).
 */
import { SubBand, clampBand, sat } from './g722-adpcm.js';
import { ILN, ILP, IHN, IHP, Q2, Q6, QM6, QMF_EVEN, QMF_ODD } from './g722-tables.js';

export const G722_SAMPLE_RATE = 16000;
/** RTP clock rate stays 8000 for G.722 although audio is 16 kHz (RFC 3551 §4.5.2). */
export const G722_RTP_CLOCK_RATE = 8000;
export const G722_FRAME_SAMPLES = 320;
export const G722_FRAME_BYTES = 160;

const TAPS = 24;
const HISTORY = 1024; // QMF delay line, compacted when full (avoids a ring index per tap)

/** A 24-sample QMF delay line stored as a sliding window in a longer array. */
class QmfLine {
  readonly x = new Int32Array(HISTORY);
  pos = TAPS - 2; // x[pos−22 … pos−1] is the history; the next pair goes to pos, pos+1

  push(a: number, b: number): number {
    if (this.pos >= HISTORY) {
      this.x.copyWithin(0, this.pos - (TAPS - 2), this.pos);
      this.pos = TAPS - 2;
    }
    this.x[this.pos] = a;
    this.x[this.pos + 1] = b;
    this.pos += 2;
    return this.pos - TAPS; // start of the 24-sample window, oldest first
  }

  reset(): void {
    this.x.fill(0);
    this.pos = TAPS - 2;
  }
}

export class G722Encoder {
  private readonly qmf = new QmfLine();
  private readonly low = new SubBand(32);
  private readonly high = new SubBand(8);
  private held = 0;
  private holding = false;

  /** Octets `encode` will produce for `samples` more input samples. */
  outputLength(samples: number): number {
    return (samples + (this.holding ? 1 : 0)) >> 1;
  }

  /**
   * Encode PCM16 at 16 kHz. Returns `out` (or a view of its first octets) or
   * a fresh array. Throws RangeError if `out` is too small.
   */
  encode(pcm16k: Int16Array, out?: Uint8Array): Uint8Array {
    const n = this.outputLength(pcm16k.length);
    const dst = out ?? new Uint8Array(n);
    if (dst.length < n) throw new RangeError(`G722Encoder: out holds ${dst.length} octets, need ${n}`);
    let i = 0, o = 0;
    if (this.holding && pcm16k.length > 0) {
      dst[o++] = this.encodePair(this.held, pcm16k[0]!);
      this.holding = false;
      i = 1;
    }
    for (; i + 1 < pcm16k.length; i += 2) dst[o++] = this.encodePair(pcm16k[i]!, pcm16k[i + 1]!);
    if (i < pcm16k.length) {
      this.held = pcm16k[i]!;
      this.holding = true;
    }
    return o === dst.length ? dst : dst.subarray(0, o);
  }

  reset(): void {
    this.qmf.reset();
    this.low.reset();
    this.high.reset();
    this.holding = false;
  }

  private encodePair(x1: number, x2: number): number {
    // Transmit QMF (§3.1): xA over even taps, xB over odd taps, newest sample last.
    const w = this.qmf.push(x1, x2);
    const x = this.qmf.x;
    let xa = 0, xb = 0;
    for (let i = 0; i < 12; i++) {
      xb += x[w + 2 * i]! * QMF_EVEN[i]!;
      xa += x[w + 2 * i + 1]! * QMF_ODD[i]!;
    }
    const il = quantL(sat(((xa + xb) >> 14) - this.low.s), this.low.det);
    const ih = quantH(sat(((xa - xb) >> 14) - this.high.s), this.high.det);
    this.low.updateLow(il);
    this.high.updateHigh(ih);
    return (ih << 6) | il;
  }
}

export class G722Decoder {
  private readonly qmf = new QmfLine();
  private readonly low = new SubBand(32);
  private readonly high = new SubBand(8);

  /** Decode octets into 16 kHz PCM16 (2 samples per octet). Throws RangeError if `out` is too small. */
  decode(bytes: Uint8Array, out?: Int16Array): Int16Array {
    const n = bytes.length * 2;
    const dst = out ?? new Int16Array(n);
    if (dst.length < n) throw new RangeError(`G722Decoder: out holds ${dst.length} samples, need ${n}`);
    const x = this.qmf.x;
    for (let k = 0; k < bytes.length; k++) {
      const code = bytes[k]!;
      const il = code & 0x3f, ih = code >> 6;
      // Mode 1 lower-band output uses the 6-bit inverse quantiser (INVQBL, §4.2).
      const rl = clampBand(this.low.s + ((this.low.det * QM6[il]!) >> 15));
      this.low.updateLow(il);
      const sh = this.high.s;
      const rh = clampBand(sh + this.high.updateHigh(ih));
      // Receive QMF (§4.4): xout1 from the difference signal, xout2 from the sum.
      const w = this.qmf.push(rl + rh, rl - rh);
      let xout1 = 0, xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[w + 2 * i]! * QMF_EVEN[i]!;
        xout1 += x[w + 2 * i + 1]! * QMF_ODD[i]!;
      }
      dst[2 * k] = sat(xout1 >> 11);
      dst[2 * k + 1] = sat(xout2 >> 11);
    }
    return n === dst.length ? dst : dst.subarray(0, n);
  }

  reset(): void {
    this.qmf.reset();
    this.low.reset();
    this.high.reset();
  }
}

/** QUANTL (§3.3.1): 6-bit codeword for the lower-band difference `el`. */
function quantL(el: number, det: number): number {
  const mag = el >= 0 ? el : -(el + 1);
  let mil = 1;
  while (mil < 30 && mag >= (Q6[mil]! * det) >> 12) mil++;
  return el < 0 ? ILN[mil]! : ILP[mil]!;
}

/** QUANTH (§3.2.1): 2-bit codeword for the higher-band difference `eh`. */
function quantH(eh: number, det: number): number {
  const mag = eh >= 0 ? eh : -(eh + 1);
  const mih = mag >= (Q2 * det) >> 12 ? 2 : 1;
  return eh < 0 ? IHN[mih]! : IHP[mih]!;
}
