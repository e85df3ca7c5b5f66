import { buildOffer, parseAnswer, type SipCodec } from '../media/sdp-negotiation.js';
import { openOnPort, type LegMedia, type MediaOptions } from './media-port.js';
import type { SipRequestLike } from './srf-types.js';

/**
 * Late offer (RFC 3261 §13.2.1, RFC 3264 §5): an INVITE without SDP. We offer
 * in the 200 OK on a reserved port, and the ACK carries the answer; only then
 * is the codec known and the RTP session bound.
 */

export interface LateOffer {
  port: number;
  offerSdp: string;
  codecs: readonly SipCodec[];
  media: MediaOptions;
  /** What the INVITE's cleanups run: the port alone until the RTP session exists, then the session. */
  release: () => void;
}

export function prepareLateOffer(media: MediaOptions, codecs: readonly SipCodec[], port: number): LateOffer {
  const offerSdp = buildOffer({ address: media.publicAddress, port, codecs, ptime: 20 });
  return { port, offerSdp, codecs, media, release: () => media.ports.release(port) };
}

/** Take the answer from the ACK and bind RTP for it; undefined when there is no ACK or no usable answer. */
export async function acceptLateAnswer(
  late: LateOffer, acked: Promise<SipRequestLike | false>,
): Promise<LegMedia | undefined> {
  const ack = await acked;
  if (!ack || !ack.body) return undefined;
  const negotiated = parseAnswer(ack.body, late.codecs);
  if (!negotiated.ok) return undefined;
  try {
    // openOnPort's release closes RTP and gives the port back; on failure it gave the port back itself.
    const { session, release } = await openOnPort(late.media, late.port, negotiated);
    late.release = release;
    session.setDirection(negotiated.direction);
    return { ...negotiated, session, localSdp: late.offerSdp };
  } catch {
    late.release = () => undefined;
    return undefined;
  }
}
