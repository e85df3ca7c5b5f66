/**
 * Test-only port of the ITU-T G.191 Software Tool Library reference G.711
 * (module g711.c, v3.01, functions alaw_compress / alaw_expand /
 * ulaw_compress / ulaw_expand), one sample at a time. Kept literal on
 * purpose (same loops, same constants) so it can be checked line by line
 * against the STL. C `short` arithmetic fits JS int32 here: no intermediate
 * leaves the int16 range except `~x` of a promoted short, which JS computes
 * identically.
 */

export function refAlawCompress(lin: number): number {
  let ix = lin < 0 ? ~lin >> 4 : lin >> 4; // 0 <= ix < 2048; 1's complement for negatives
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16; // remove leading '1'
    ix += iexp << 4;
  }
  if (lin >= 0) ix |= 0x0080; // sign bit
  return (ix ^ 0x0055) & 0xff; // toggle even bits
}

export function refAlawExpand(log: number): number {
  let ix = log ^ 0x0055;
  ix &= 0x007f;
  const iexp = ix >> 4;
  let mant = ix & 0x000f;
  if (iexp > 0) mant = mant + 16;
  mant = (mant << 4) + 0x0008; // left justified, + 1/2 quantisation step
  if (iexp > 1) mant = mant << (iexp - 1);
  return log > 127 ? mant : -mant;
}

export function refUlawCompress(lin: number): number {
  // 14-bit right justified magnitude; 33 = difference between A- and μ-law thresholds
  let absno = lin < 0 ? (~lin >> 2) + 33 : (lin >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const highNibble = 0x0008 - segno;
  let lowNibble = (absno >> segno) & 0x000f;
  lowNibble = 0x000f - lowNibble;
  let log = (highNibble << 4) | lowNibble;
  if (lin >= 0) log = log | 0x0080;
  return log & 0xff;
}

export function refUlawExpand(log: number): number {
  const sign = log < 0x0080 ? -1 : 1;
  let mantissa = ~log;
  const exponent = (mantissa >> 4) & 0x0007;
  const segment = exponent + 1;
  mantissa = mantissa & 0x000f;
  const step = 4 << segment;
  // `| 0`: C's short has no negative zero; JS would return −0 for code 0x7F
  return (sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33)) | 0;
}
