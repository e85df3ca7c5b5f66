import { buildOffer, parseAnswer } from '../media/sdp-negotiation.js';
import { offerKeys } from '../media/sdes.js';
import { DEFAULT_CODECS, openOnPort, type MediaOptions } from './media-port.js';
import { placeSipCall, type OutboundFailure, type PlaceCallOptions } from './outbound-call.js';
import { SipError } from './sip-error.js';
import { parseNameAddr } from './sip-headers.js';
import { SipDialogLeg } from './sip-dialog-leg.js';
import type { SrfLike } from './srf-types.js';
import type { OutboundTrunkConfig } from './trunks.js';

/**
 * An outbound call with our own RTP: reserve a port, offer it (RFC 3264 §5),
 * dial, read the answer (§6), then bind the RTP session for the agreed codec.
 * Used for campaign calls and for the operator leg of a bridged transfer.
 */

export type DialResult =
  | { ok: true; leg: SipDialogLeg }
  | { ok: false; outcome: OutboundFailure; status?: number; reason: string };

export type DialCallOptions = Omit<PlaceCallOptions, 'localSdp'> & { agentId?: string; trunkId?: string };

export async function dialWithMedia(
  srf: SrfLike, trunk: OutboundTrunkConfig, to: string, media: MediaOptions, call: DialCallOptions,
): Promise<DialResult> {
  const codecs = media.codecs ?? DEFAULT_CODECS;
  const port = media.ports.reserve();
  if (port === undefined) return { ok: false, outcome: 'failed', status: 503, reason: 'no RTP port' };
  // `required` offers RTP/SAVP with fresh SDES keys; `allowed` and `disabled`
  // offer plain RTP/AVP: a SAVP offer is refused outright (488) by a plain-only
  // trunk, so SRTP on the way out is a per-trunk opt-in (README "SIP security").
  const mode = trunk.mediaEncryption ?? media.mediaEncryption ?? 'allowed';
  const srtpKeys = mode === 'required' ? offerKeys() : undefined;
  const offer = buildOffer({ address: media.publicAddress, port, codecs, ptime: 20, srtpKeys });
  const placed = await placeSipCall(srf, trunk, to, { ...call, localSdp: offer });
  if (!placed.ok) {
    media.ports.release(port);
    return placed;
  }
  try {
    const negotiated = parseAnswer(placed.remoteSdp, codecs, srtpKeys);
    if (!negotiated.ok) {
      media.ports.release(port);
      throw new SipError(negotiated.status, `unusable answer: ${negotiated.reason}`);
    }
    const { session, release } = await openOnPort(media, port, negotiated);
    const leg = new SipDialogLeg({
      dialog: placed.dialog, direction: 'outbound',
      from: parseNameAddr(placed.dialog.local.uri) ?? { uri: placed.dialog.local.uri, params: {} },
      to: parseNameAddr(placed.dialog.remote.uri) ?? { uri: placed.dialog.remote.uri, params: {} },
      agentId: call.agentId, trunkId: call.trunkId, transport: trunk.transport ?? 'udp',
      media: { ...negotiated, session, localSdp: offer },
      publicAddress: media.publicAddress, cleanups: [release],
    });
    return { ok: true, leg };
  } catch (err) {
    // Unusable answer or no socket: the call is up, so end it with BYE (RFC 3261 §15).
    await placed.dialog.destroy().catch(() => undefined);
    const status = err instanceof SipError ? err.status : 500;
    return { ok: false, outcome: 'failed', status, reason: err instanceof Error ? err.message : String(err) };
  }
}
