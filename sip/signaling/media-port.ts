import type { PortAllocator } from '../media/port-allocator.js';
import { RtpSession, type RtpSessionOptions } from '../media/rtp-session.js';
import type { G711Codec, NegotiatedMedia, NegotiationFailure } from '../media/sdp-negotiation.js';
import type { MediaEncryption } from '../media/sdes.js';
import { SipError } from './sip-error.js';
import { srtpTransform, type SrtpDropListener } from '../media/packet-transform.js';

/**
 * Where signaling meets sip/media: a port is reserved first (it goes into our
 * SDP), the offer/answer is done with it (RFC 3264), and only then is the
 * RTP session built and bound, since it needs the agreed codec and PTs.
 */

export interface MediaSessionFactory {
  /** Build and bind an RTP session on `port` for the negotiated media. */
  open(port: number, media: NegotiatedMedia): Promise<RtpSession>;
}

export interface MediaOptions {
  factory: MediaSessionFactory;
  ports: PortAllocator;
  /** Public address for `c=` (RFC 4566 §5.7); behind NAT the external one. */
  publicAddress: string;
  /** Our preference order (default PCMU, PCMA). */
  codecs?: readonly G711Codec[];
  /** Default SRTP policy (a trunk's own setting wins); default `allowed`. */
  mediaEncryption?: MediaEncryption;
}

/** Media as agreed for a leg, with the RTP session that carries it. */
export interface LegMedia extends NegotiatedMedia {
  session: RtpSession;
  /** The SDP we sent last (answer, or our offer): the base for o= versioning. */
  localSdp: string;
}

export const DEFAULT_CODECS: readonly G711Codec[] = ['PCMU', 'PCMA'];

/** The usual factory: an `RtpSession` bound on `bindAddress`, with SRTP when the media agreed it. */
export function rtpSessionFactory(
  base: Pick<RtpSessionOptions, 'bindAddress' | 'inactivityTimeoutMs'> & Partial<RtpSessionOptions> & { onSrtpDrop?: SrtpDropListener },
): MediaSessionFactory {
  const { onSrtpDrop, ...sessionBase } = base;
  return {
    async open(port, m) {
      const session = new RtpSession({
        ...sessionBase, port, portAllocator: undefined, codec: m.codec, payloadType: m.payloadType,
        telephoneEventPt: m.telephoneEventPt, remote: m.remote, rtcpMux: m.rtcpMux,
        transform: m.srtp ? srtpTransform(m.srtp, onSrtpDrop) : undefined,
      });
      await session.open();
      session.setDirection(m.direction);
      return session;
    },
  };
}

export type Negotiate<T extends NegotiatedMedia> = (port: number) => T | NegotiationFailure;

/**
 * Reserve a port, negotiate with it, bind. A port the OS reports busy is
 * skipped (up to 4 tries). The returned `release` closes RTP (RTCP BYE,
 * RFC 3550 §6.6) and gives the port back.
 */
export async function openNegotiated<T extends NegotiatedMedia>(
  opts: MediaOptions, negotiate: Negotiate<T>,
): Promise<{ media: T; session: RtpSession; release: () => void }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = opts.ports.reserve();
    if (port === undefined) throw new SipError(503, 'Service Unavailable (no RTP port)', { 'Retry-After': '5' });
    const media = negotiate(port);
    if (!media.ok) {
      opts.ports.release(port);
      throw new SipError(media.status, media.reason || 'Not Acceptable Here');
    }
    try {
      return { media, ...(await openOnPort(opts, port, media)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && !/in use|exhausted/i.test(String(err))) throw err;
    }
  }
  throw new SipError(503, 'Service Unavailable (RTP ports busy)', { 'Retry-After': '5' });
}

/** `c=0.0.0.0` or port 0: nowhere to send (RFC 3264 §8.4 hold, §6 rejected stream). */
export function isSendable(remote: { address: string; port: number }): boolean {
  return remote.port > 0 && remote.address !== '0.0.0.0' && remote.address !== '::';
}

/** Bind the RTP session on a port already reserved (and written in our SDP). Frees the port on failure. */
export async function openOnPort(
  opts: MediaOptions, port: number, media: NegotiatedMedia,
): Promise<{ session: RtpSession; release: () => void }> {
  try {
    const session = await opts.factory.open(port, media);
    const release = (): void => { void session.close().finally(() => opts.ports.release(port)); };
    return { session, release };
  } catch (err) {
    opts.ports.release(port);
    throw err;
  }
}
