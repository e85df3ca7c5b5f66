import { describe, expect, it } from 'vitest';
import { wsText } from '../../src/ws-text.js';

describe('wsText', () => {
  it('gives the string String() gives for every message ws can deliver', () => {
    const samples = [
      Buffer.from('{"event":"media"}'),
      Buffer.from('{"text":"Grüße, 你好 🎉"}'),
      Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xe2, 0x82, 0x7d]), // invalid UTF-8 (ws rejects it before us; still the same string)
      Buffer.alloc(0),
      Buffer.from('xx{"a":1}yy').subarray(2, 9), // a view into a larger buffer
    ];
    for (const b of samples) expect(wsText(b)).toBe(String(b));
    expect(wsText(Buffer.from('{"a":1}').subarray(1, 4))).toBe('"a"');
    expect(wsText('already text')).toBe('already text');
  });
});
