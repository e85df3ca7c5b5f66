import { describe, expect, it } from 'vitest';
import { int16View, pcmBytes } from '../../media/pcm.js';

describe('pcm byte helpers', () => {
  it('reads little-endian PCM16 without copying when aligned', () => {
    const bytes = Uint8Array.of(0x34, 0x12, 0xff, 0xff, 0x00, 0x80);
    const view = int16View(bytes);
    expect(Array.from(view)).toEqual([0x1234, -1, -32768]);
    bytes[0] = 0x35;
    expect(view[0]).toBe(0x1235); // shares memory
  });

  it('copies when the offset is odd and drops a trailing odd byte', () => {
    const backing = Uint8Array.of(0xaa, 0x01, 0x00, 0x02, 0x00, 0x07);
    const view = int16View(backing.subarray(1));
    expect(Array.from(view)).toEqual([1, 2]);
  });

  it('pcmBytes round-trips through int16View', () => {
    const x = Int16Array.of(1, -2, 300, -32768, 32767);
    expect(Array.from(int16View(pcmBytes(x)))).toEqual(Array.from(x));
  });
});
