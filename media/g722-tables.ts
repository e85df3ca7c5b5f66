/**
 * Constant tables of ITU-T G.722 (09/2012), 64 kbit/s mode. Values are the
 * Recommendation's; names follow its block descriptions (§6.2) so the code in
 * g722-adpcm.ts reads against the text.
 */

/**
 * QMF coefficients h0…h23 (Table 11), scaled by 2^13; symmetric
 * (h_i = h_{23−i}). Split into even- and odd-indexed taps because the
 * transmit QMF sums them separately (xA, xB, §4.2.1) and the receive QMF
 * applies them to the difference and sum signals (§4.4.2).
 */
const QMF = [3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3];
export const QMF_EVEN = Int32Array.from({ length: 12 }, (_, i) => QMF[2 * i]!);
export const QMF_ODD = Int32Array.from({ length: 12 }, (_, i) => QMF[2 * i + 1]!);

/**
 * QUANTL decision levels Q6 (normalised by 2^12 against DETL): the
 * lower band's 6-bit quantiser compares |EL| with Q6[mil]·DETL >> 12.
 */
export const Q6 = Int32Array.from([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
  786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);
/** Codeword IL for interval mil (1…29) of a negative / non-negative EL (QUANTL). */
export const ILN = Int32Array.from([
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
  18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
]);
export const ILP = Int32Array.from([
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
  46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
]);

/**
 * Inverse quantiser outputs, scaled by 2^15 against DETL (INVQAL/INVQBL): QM6 for
 * the 6-bit codeword (decoder output in mode 1), QM4 for the 4-bit codeword
 * IL >> 2 that drives the predictor and the scale adaptation in every mode.
 */
export const QM6 = Int32Array.from([
  -136, -136, -136, -136, -24808, -21904, -19008, -16704,
  -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
  -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
  10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
  1688, 1360, 1040, 728, 432, 136, -432, -136,
]);
export const QM4 = Int32Array.from([
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
  20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
]);
/** LOGSCL: RIL → IL4 and the log-scale increments WL. */
export const RIL_TO_IL4 = Int32Array.from([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);
export const WL = Int32Array.from([-60, -30, 58, 172, 334, 538, 1198, 3042]);

/** Higher band: QUANTH decision level 564 (×2^-12), codewords, INVQAH's QM2, LOGSCH's WH. */
export const Q2 = 564;
export const IHN = Int32Array.from([0, 1, 0]);
export const IHP = Int32Array.from([0, 3, 2]);
export const QM2 = Int32Array.from([-7408, -1616, 7408, 1616]);
export const IH_TO_IH2 = Int32Array.from([2, 1, 2, 1]);
export const WH = Int32Array.from([0, -214, 798]);

/** SCALEL/SCALEH: 2^(i/32) in Q11 for the mantissa of the log scale factor (ILB). */
export const ILB = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
