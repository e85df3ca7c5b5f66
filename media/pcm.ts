/**
 * PCM16 byte helpers. PCM16 bytes in this bridge are little-endian (WAV, the
 * agent's base64 PCM); Int16Array uses the HOST byte
 * order, so these views assume a little-endian host (x86-64, arm64 — every
 * platform Node targets in practice). Odd trailing bytes are ignored.
 */

/**
 * Int16Array over `bytes` without copying when the offset is 2-byte aligned;
 * otherwise (e.g. a Buffer slice at an odd offset) a copy, because typed
 * array views require alignment.
 */
export function int16View(bytes: Uint8Array): Int16Array {
  const count = bytes.byteLength >> 1;
  if ((bytes.byteOffset & 1) === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(count * 2);
  copy.set(bytes.subarray(0, count * 2));
  return new Int16Array(copy.buffer);
}

/** Uint8Array over the samples' bytes (no copy). */
export function pcmBytes(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}
