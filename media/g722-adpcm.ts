/**
 * One G.722 sub-band ADPCM coder state (ITU-T G.722 §6.2): the adaptive
 * predictor (block 4: RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA,
 * FILTEP, FILTEZ, PREDIC) and the quantiser scale adaptation (block 3:
 * LOGSCL/SCALEL for the lower band, LOGSCH/SCALEH for the higher band). The
 * encoder and the decoder run the very same updates from the same codewords,
 * which is what keeps them in step. All arithmetic is the Recommendation's
 * 16-bit fixed point: `sat` where it saturates, arithmetic shifts elsewhere.
 */
import { ILB, IH_TO_IH2, QM2, QM4, RIL_TO_IL4, WH, WL } from './g722-tables.js';

/** Saturate to the 16-bit two's-complement range (the spec's "limit"). */
export function sat(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** Clamp a reconstructed sub-band sample to the 15-bit range (RECONS output, §4.2). */
export function clampBand(x: number): number {
  return x > 16383 ? 16383 : x < -16384 ? -16384 : x;
}

export class SubBand {
  /** Predictor output S (SL/SH) for the current sample. */
  s = 0;
  /** Zero-section output SZ. */
  private sz = 0;
  /** Quantiser scale factor DET (DETL/DETH) and its log NB (NBL/NBH). */
  det: number;
  private nb = 0;
  /** Pole coefficients A1, A2; reconstructed R(n−1), R(n−2); partial P(n−1), P(n−2). */
  private a1 = 0;
  private a2 = 0;
  private r1 = 0;
  private r2 = 0;
  private p1 = 0;
  private p2 = 0;
  /** Zero coefficients B1…B6 and the difference signal D(n−1)…D(n−6). */
  private readonly b = new Int32Array(6);
  private readonly d = new Int32Array(6);

  /** Reset values (§6.1): DETL = 32, DETH = 8, everything else 0. */
  constructor(private readonly initialDet: number) {
    this.det = initialDet;
  }

  reset(): void {
    this.s = this.sz = this.nb = this.a1 = this.a2 = this.r1 = this.r2 = this.p1 = this.p2 = 0;
    this.b.fill(0);
    this.d.fill(0);
    this.det = this.initialDet;
  }

  /** Lower band after codeword IL: INVQAL (4-bit, QM4), block 4L, LOGSCL/SCALEL. */
  updateLow(il: number): void {
    const ril = il >> 2;
    this.predict((this.det * QM4[ril]!) >> 15);
    const nb = ((this.nb * 127) >> 7) + WL[RIL_TO_IL4[ril]!]!;
    this.nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
    this.det = scale(this.nb, 8);
  }

  /** Higher band after codeword IH: INVQAH, block 4H, LOGSCH/SCALEH. Returns DH. */
  updateHigh(ih: number): number {
    const dh = (this.det * QM2[ih]!) >> 15;
    this.predict(dh);
    const nb = ((this.nb * 127) >> 7) + WH[IH_TO_IH2[ih]!]!;
    this.nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
    this.det = scale(this.nb, 10);
    return dh;
  }

  /** Block 4 for one quantised difference signal `dq` (DLT / DH). */
  private predict(dq: number): void {
    const r = sat(this.s + dq); // RECONS
    const p = sat(this.sz + dq); // PARREC
    this.updatePoles(p);
    this.updateZeros(dq);
    this.p2 = this.p1; // DELAYA
    this.p1 = p;
    this.r2 = this.r1;
    this.r1 = r;
    const sp = sat(((this.a1 * sat(this.r1 + this.r1)) >> 15) + ((this.a2 * sat(this.r2 + this.r2)) >> 15)); // FILTEP
    const b = this.b, d = this.d;
    let sz = 0; // FILTEZ
    for (let i = 0; i < 6; i++) sz += (b[i]! * sat(d[i]! + d[i]!)) >> 15;
    this.sz = sat(sz);
    this.s = sat(sp + this.sz); // PREDIC
  }

  /** UPPOL2 then UPPOL1: sign-sign adaptation of A2, A1 with the stability limits. */
  private updatePoles(p: number): void {
    const sg0 = p >> 15, sg1 = this.p1 >> 15, sg2 = this.p2 >> 15;
    const wd1 = sat(this.a1 << 2);
    const wd2 = sg0 === sg1 ? sat(-wd1) : wd1;
    const wd3 = (wd2 >> 7) + (sg0 === sg2 ? 128 : -128) + ((this.a2 * 32512) >> 15);
    const a2 = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    const a1 = sat((sg0 === sg1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const lim = 15360 - a2;
    this.a1 = a1 > lim ? lim : a1 < -lim ? -lim : a1;
    this.a2 = a2;
  }

  /** UPZERO and the difference-signal delay line. */
  private updateZeros(dq: number): void {
    const b = this.b, d = this.d;
    const step = dq === 0 ? 0 : 128;
    const sg0 = dq >> 15;
    for (let i = 0; i < 6; i++) {
      b[i] = sat((sg0 === d[i]! >> 15 ? step : -step) + ((b[i]! * 32640) >> 15));
    }
    for (let i = 5; i > 0; i--) d[i] = d[i - 1]!;
    d[0] = dq;
  }
}

/** SCALEL/SCALEH: DET = 2^(NB/2048 − offset) via the ILB mantissa table, in Q2. */
function scale(nb: number, offset: number): number {
  const mant = ILB[(nb >> 6) & 31]!;
  const shift = offset - (nb >> 11);
  return (shift < 0 ? mant << -shift : mant >> shift) << 2;
}
