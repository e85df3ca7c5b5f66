import { G722Encoder } from '../../media/g722.js';
import { g711Encoder } from '../../media/g711.js';
import type { SipCodec } from './sdp-negotiation.js';

/**
 * PCM → one RTP payload frame for the codec a SIP leg negotiated, for audio the
 * SIP layer makes itself (ringback). G.711 samples at 8 kHz; G.722 at 16 kHz
 * (RFC 3551 §4.5.2), 160 bytes per 20 ms either way.
 */

export function codecSampleRate(codec: SipCodec): number {
  return codec === 'G722' ? 16_000 : 8000;
}

/** A stateful encoder (G.722 is ADPCM) returning a fresh frame each call: the RTP sender keeps frames by reference. */
export function frameEncoder(codec: SipCodec): (pcm: Int16Array) => Uint8Array {
  if (codec === 'G722') {
    const encoder = new G722Encoder();
    return (pcm) => encoder.encode(pcm, new Uint8Array(pcm.length / 2));
  }
  const encode = g711Encoder(codec === 'PCMA' ? 'alaw' : 'ulaw');
  return (pcm) => {
    const out = new Uint8Array(pcm.length);
    encode(pcm, out, pcm.length);
    return out;
  };
}
