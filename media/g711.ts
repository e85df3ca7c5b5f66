/**
 * G.711 μ-law / A-law ⇄ PCM16, table-driven (ITU-T G.711, bit-exact with the
 * ITU-T G.191 STL reference `g711.c`).
 *
 * Tables are built once at module load from alawmulaw's per-sample functions
 * and then every call is one table lookup per sample into a caller buffer (no
 * allocation). Why the tables are not simply `alawmulaw.encodeSample(x)` for
 * every x: alawmulaw is bit-exact with the reference for all decoding and for
 * non-negative inputs, but for negative inputs it quantises the magnitude −x,
 * while G.711's reference takes the ONE'S complement ~x = −x−1 (G.191 STL:
 * "1's complement for negative values"), so e.g. x = −16 is A-law segment 0
 * step 0 in the reference and step 1 in alawmulaw. For x < 0 we therefore
 * encode ~x with alawmulaw and clear the sign bit, which is exactly what the
 * reference does. test/media/g711.test.ts proves both claims over all 65536
 * inputs and 256 codes.
 */
import alawmulaw from 'alawmulaw';

export type G711Law = 'ulaw' | 'alaw';

/** μ-law code of +0 (G.711 Table 2b: all bits inverted on the wire). */
export const MULAW_SILENCE = 0xff;
/** A-law code of +0 (G.711 Table 1b: even bits inverted, 0x80 ^ 0x55). */
export const ALAW_SILENCE = 0xd5;

/*
 * The reference only looks at the top 14 bits for μ-law (`linbuf >> 2`) and
 * the top 12 bits for A-law (`linbuf >> 4`; the 13th bit only matters after
 * the 1's complement, and ~x >> 4 === ~(x >> 4)). So the encode tables are
 * indexed by the arithmetic-shifted sample: 16384 and 4096 entries, small
 * enough to stay in L1/L2 cache.
 */
const MULAW_SHIFT = 2;
const ALAW_SHIFT = 4;

const mulawDecodeTable = new Int16Array(256);
const alawDecodeTable = new Int16Array(256);
const mulawEncodeTable = new Uint8Array(1 << (16 - MULAW_SHIFT));
const alawEncodeTable = new Uint8Array(1 << (16 - ALAW_SHIFT));

function buildTables(): void {
  for (let code = 0; code < 256; code++) {
    mulawDecodeTable[code] = alawmulaw.mulaw.decodeSample(code);
    alawDecodeTable[code] = alawmulaw.alaw.decodeSample(code);
  }
  fillEncodeTable(mulawEncodeTable, MULAW_SHIFT, alawmulaw.mulaw.encodeSample);
  fillEncodeTable(alawEncodeTable, ALAW_SHIFT, alawmulaw.alaw.encodeSample);
}

/**
 * Entry i covers every int16 x with (x >> shift) & mask === i. In both laws
 * the sign bit (0x80) set means "non-negative", so a negative sample is the
 * code of its one's complement with the sign bit cleared.
 */
function fillEncodeTable(table: Uint8Array, shift: number, encode: (x: number) => number): void {
  for (let i = 0; i < table.length; i++) {
    const x = ((i << (16 + shift)) >> 16) | 0; // sign-extended representative sample
    table[i] = x >= 0 ? encode(x) & 0xff : encode(~x) & 0x7f;
  }
}

buildTables();

const MULAW_MASK = mulawEncodeTable.length - 1;
const ALAW_MASK = alawEncodeTable.length - 1;

/** Decode `count` μ-law bytes from `src` into `dst` (PCM16). */
export function mulawToPcm(src: Uint8Array, dst: Int16Array, count: number = src.length): void {
  const t = mulawDecodeTable;
  for (let i = 0; i < count; i++) dst[i] = t[src[i]!]!;
}

/** Encode `count` PCM16 samples from `src` into μ-law bytes in `dst`. */
export function pcmToMulaw(src: Int16Array, dst: Uint8Array, count: number = src.length): void {
  const t = mulawEncodeTable;
  for (let i = 0; i < count; i++) dst[i] = t[(src[i]! >> MULAW_SHIFT) & MULAW_MASK]!;
}

/** Decode `count` A-law bytes from `src` into `dst` (PCM16). */
export function alawToPcm(src: Uint8Array, dst: Int16Array, count: number = src.length): void {
  const t = alawDecodeTable;
  for (let i = 0; i < count; i++) dst[i] = t[src[i]!]!;
}

/** Encode `count` PCM16 samples from `src` into A-law bytes in `dst`. */
export function pcmToAlaw(src: Int16Array, dst: Uint8Array, count: number = src.length): void {
  const t = alawEncodeTable;
  for (let i = 0; i < count; i++) dst[i] = t[(src[i]! >> ALAW_SHIFT) & ALAW_MASK]!;
}

/** Decoder for a law, for callers that pick the law at runtime. */
export function g711Decoder(law: G711Law): (src: Uint8Array, dst: Int16Array, count?: number) => void {
  return law === 'ulaw' ? mulawToPcm : alawToPcm;
}

/** Encoder for a law, for callers that pick the law at runtime. */
export function g711Encoder(law: G711Law): (src: Int16Array, dst: Uint8Array, count?: number) => void {
  return law === 'ulaw' ? pcmToMulaw : pcmToAlaw;
}

/** Silence byte of a law (what to pad a short frame with). */
export function g711Silence(law: G711Law): number {
  return law === 'ulaw' ? MULAW_SILENCE : ALAW_SILENCE;
}
