import { g711Decoder, g711Encoder } from '../../media/g711.js';
import { G722Decoder, G722Encoder } from '../../media/g722.js';
import type { LegCodec } from './call-leg.js';

/**
 * The phone leg's codec as PCM in and out: G.711 at 8 kHz (stateless tables),
 * G.722 at 16 kHz (stateful ADPCM, so one decoder/encoder per stream and
 * direction). Every codec carries 20 ms in 160 bytes.
 */

export function legSampleRate(codec: LegCodec): 8000 | 16000 {
  return codec === 'g722' ? 16000 : 8000;
}

/** Samples one payload byte stands for (G.722: two 16 kHz samples per octet). */
export function samplesPerByte(codec: LegCodec): number {
  return codec === 'g722' ? 2 : 1;
}

/** Decodes payloads into `out` (at least `payload.length * samplesPerByte` long); returns the samples written. */
export type LegDecode = (payload: Uint8Array, out: Int16Array) => number;
/** Encodes PCM at the leg's rate into `out`; returns the bytes written. */
export type LegEncode = (pcm: Int16Array, out: Uint8Array) => number;

export function legDecoder(codec: LegCodec): LegDecode {
  if (codec === 'g722') {
    const decoder = new G722Decoder();
    return (payload, out) => {
      decoder.decode(payload, out);
      return payload.length * 2;
    };
  }
  const decode = g711Decoder(codec);
  return (payload, out) => {
    decode(payload, out, payload.length);
    return payload.length;
  };
}

export function legEncoder(codec: LegCodec): LegEncode {
  if (codec === 'g722') {
    const encoder = new G722Encoder();
    return (pcm, out) => encoder.encode(pcm, out).length;
  }
  const encode = g711Encoder(codec);
  return (pcm, out) => {
    encode(pcm, out, pcm.length);
    return pcm.length;
  };
}
