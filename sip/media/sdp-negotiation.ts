/**
 * SDP offer/answer for a G.711 endpoint with RFC 4733 DTMF (RFC 3264 over
 * RFC 4566 SDP), using sdp-transform. Pure: strings in, strings out.
 *
 * What it does, by RFC 3264 section:
 * - §6: the answer keeps every m= line of the offer, in order; lines we do
 *   not take (video, image/T.38, a second audio stream, SRTP) get port 0.
 * - §6.1: one audio codec (our preference order) plus telephone-event/8000 if
 *   offered, with the offer's payload-type numbers; direction mirrored
 *   (sendonly ⇄ recvonly, inactive stays inactive).
 * - §8: every changed SDP we send in a session bumps the o= version; an
 *   unchanged one keeps it.
 * - Connection data (RFC 4566 §5.7): the media-level c= wins over the session
 *   level. c=0.0.0.0 is the RFC 2543 hold (RFC 3264 §8.4): no destination.
 * - ptime (RFC 4566 §6): what the peer wants to receive, default 20.
 * - SRTP (RFC 3711) keyed by SDES `a=crypto` (RFC 4568), per `mediaEncryption`:
 *   an `RTP/SAVP` line is answered with our own fresh key under the offer's
 *   tag and suite (sdes.ts); `required` refuses plain lines, `disabled`
 *   refuses SAVP ones; with both kinds offered, the SRTP line wins.
 */
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import {
  continueSession, originAddressFromConnection, sdpDirection, sdpOrigin, type Direction, type OriginOptions,
} from './sdp-origin.js';
import {
  cryptoAttribute, freshKey, parseCrypto, pickOfferedCrypto, SAVP, transportVerdict,
  type CryptoAttribute, type MediaEncryption, type NegotiatedSrtp, type RemoteCrypto,
} from './sdes.js';
import type { SrtpMasterKey } from '../../media/srtp/srtp-key.js';

export type { Direction } from './sdp-origin.js';
export type G711Codec = 'PCMU' | 'PCMA';

/** RFC 3551 §6 static payload types. */
const STATIC_PT: Record<G711Codec, number> = { PCMU: 0, PCMA: 8 };

export interface LocalMedia extends OriginOptions {
  /** Address written in c= (the public/advertised one behind NAT). */
  address: string;
  port: number;
  /** Our preference order. */
  codecs: readonly G711Codec[];
  /** a=ptime we ask for (RFC 4566 §6); default 20. */
  ptime?: number;
  /** Plain RTP and/or SRTP (default `allowed`: take either, prefer SRTP). */
  mediaEncryption?: MediaEncryption;
  /** Re-INVITE: the SRTP in use; our key is kept when the peer's key is unchanged (RFC 4568 §7.1.4). */
  currentSrtp?: NegotiatedSrtp;
}

export interface NegotiatedMedia {
  ok: true;
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  /** Where to send RTP (before latching). address 0.0.0.0 = on hold, send nothing. */
  remote: { address: string; port: number; rtcpPort: number };
  /** Our direction (answer side view: sendonly offer → recvonly). */
  direction: Direction;
  /** Packet time the peer asked for (ms). */
  ptime: number;
  rtcpMux: boolean;
  /** The offer/answer's o= line (session id and version), to notice refreshes. */
  remoteOrigin: { sessionId: string; sessionVersion: number };
  /** Set when the stream is SRTP (RTP/SAVP with SDES keys). */
  srtp?: NegotiatedSrtp;
}

export interface Answer extends NegotiatedMedia {
  answerSdp: string;
}

export interface NegotiationFailure {
  ok: false;
  status: 488;
  reason: string;
}

interface Pick {
  index: number;
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  crypto?: RemoteCrypto;
}

/** Which `a=crypto` of a SAVP line we can use (offer side: any we honour; answer side: one we offered). */
type CryptoChooser = (m: MediaDescription) => RemoteCrypto | undefined;
const offeredCrypto: CryptoChooser = (m) => pickOfferedCrypto(m.crypto);

/** Codec name of a payload type in this m= block (rtpmap wins; static PTs need none, RFC 3551 §6). */
function codecOf(m: MediaDescription, pt: number): string | undefined {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) return `${map.codec.toUpperCase()}/${map.rate ?? ''}`;
  return pt === 0 ? 'PCMU/8000' : pt === 8 ? 'PCMA/8000' : undefined;
}

function payloadList(m: MediaDescription): number[] {
  return String(m.payloads ?? '').split(/\s+/).filter(Boolean).map(Number).filter(Number.isInteger);
}

function pickCodec(m: MediaDescription, prefs: readonly G711Codec[]): Omit<Pick, 'index'> | undefined {
  const pts = payloadList(m);
  for (const codec of prefs) {
    const pt = pts.find((p) => codecOf(m, p) === `${codec}/8000`);
    if (pt === undefined) continue;
    const te = pts.find((p) => codecOf(m, p) === 'TELEPHONE-EVENT/8000');
    return te === undefined ? { codec, payloadType: pt } : { codec, payloadType: pt, telephoneEventPt: te };
  }
  return undefined;
}

/** First usable audio m= line, an SRTP one before a plain one (mode permitting), with a codec we can do. */
function choose(sdp: SessionDescription, prefs: readonly G711Codec[], mode: MediaEncryption = 'allowed',
  cryptoOf: CryptoChooser = offeredCrypto): Pick | NegotiationFailure {
  let why = 'no audio stream offered';
  let plain: Pick | undefined;
  for (let index = 0; index < sdp.media.length; index++) {
    const m = sdp.media[index]!;
    if (m.type !== 'audio' || m.port === 0) continue;
    const verdict = transportVerdict(m.protocol, mode);
    if (verdict !== 'plain' && verdict !== 'sdes') {
      why = verdict;
      continue;
    }
    const crypto = verdict === 'sdes' ? cryptoOf(m) : undefined;
    if (verdict === 'sdes' && !crypto) {
      why = `${m.protocol} without a usable a=crypto (we do AES_CM_128_HMAC_SHA1_80/_32, one inline key, KDR 0)`;
      continue;
    }
    const got = pickCodec(m, prefs);
    if (!got) {
      why = `no common codec (offered ${payloadList(m).map((p) => codecOf(m, p) ?? p).join(', ')}; we do ${prefs.join(', ')})`;
      continue;
    }
    if (crypto) return { index, ...got, crypto };
    plain ??= { index, ...got };
  }
  return plain ?? { ok: false, status: 488, reason: why };
}

function negotiated(sdp: SessionDescription, pick: Pick, ourDirection: Direction): NegotiatedMedia {
  const m = sdp.media[pick.index]!;
  const address = m.connection?.ip ?? sdp.connection?.ip ?? '0.0.0.0';
  const rtcpMux = m.rtcpMux === 'rtcp-mux';
  const rtcpPort = rtcpMux ? m.port : (m.rtcp?.port ?? m.port + 1);
  const base: NegotiatedMedia = {
    ok: true, codec: pick.codec, payloadType: pick.payloadType,
    remote: { address: address.split('/')[0]!, port: m.port, rtcpPort },
    direction: ourDirection, ptime: m.ptime ?? 20, rtcpMux,
    remoteOrigin: { sessionId: String(sdp.origin.sessionId), sessionVersion: Number(sdp.origin.sessionVersion) },
  };
  if (pick.telephoneEventPt !== undefined) base.telephoneEventPt = pick.telephoneEventPt;
  return base;
}

const MIRROR: Record<Direction, Direction> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

function audioBlock(local: LocalMedia, pick: Omit<Pick, 'index'>, direction: Direction, protocol: string, rtcpMux: boolean,
  crypto?: CryptoAttribute): MediaDescription {
  const pts = [pick.payloadType, ...(pick.telephoneEventPt === undefined ? [] : [pick.telephoneEventPt])];
  const m: MediaDescription = {
    type: 'audio', port: local.port, protocol, payloads: pts.join(' '),
    rtp: [{ payload: pick.payloadType, codec: pick.codec, rate: 8000 }],
    fmtp: [], ptime: local.ptime ?? 20, direction,
  };
  if (pick.telephoneEventPt !== undefined) {
    m.rtp.push({ payload: pick.telephoneEventPt, codec: 'telephone-event', rate: 8000 });
    m.fmtp.push({ payload: pick.telephoneEventPt, config: '0-16' });
  }
  if (rtcpMux) m.rtcpMux = 'rtcp-mux';
  if (crypto) m.crypto = [crypto];
  return m;
}

/** Our side of an SRTP answer: keep our key while the peer keeps theirs (re-INVITE), else a fresh one. */
function answerSrtp(remote: RemoteCrypto, current: NegotiatedSrtp | undefined): NegotiatedSrtp {
  const keep = current && current.suite === remote.key.suite && current.remoteKey.equals(remote.key);
  const localKey = keep ? current.localKey : freshKey(remote.key.suite);
  return { suite: remote.key.suite, tag: remote.tag, localKey, remoteKey: remote.key };
}

/** A rejected stream (RFC 3264 §6): same type, protocol and formats, port 0, nothing else. */
function rejected(m: MediaDescription): MediaDescription {
  return { type: m.type, port: 0, protocol: m.protocol, payloads: m.payloads ?? '0', rtp: [], fmtp: [] };
}

function session(local: LocalMedia, media: MediaDescription[]): SessionDescription {
  const ipVer = local.address.includes(':') ? 6 : 4;
  return {
    version: 0, origin: sdpOrigin(local, ipVer), name: '-', timing: { start: 0, stop: 0 },
    connection: { version: ipVer, ip: local.address }, media,
  };
}

/**
 * Answer an offer (inbound INVITE or re-INVITE). For a re-INVITE pass the
 * previous answer as `previous` so the o= line keeps its session id and its
 * version moves only if the SDP changed (RFC 3264 §8).
 */
export function answerOffer(offerSdp: string, local: LocalMedia): Answer | NegotiationFailure {
  let offer: SessionDescription;
  try {
    offer = sdpTransform.parse(offerSdp);
  } catch (err) {
    return { ok: false, status: 488, reason: `unparseable SDP: ${(err as Error).message}` };
  }
  if (!offer.media?.length) return { ok: false, status: 488, reason: 'no m= lines' };
  const pick = choose(offer, local.codecs, local.mediaEncryption);
  if (!('index' in pick)) return pick;
  const m = offer.media[pick.index]!;
  const ourDirection = MIRROR[sdpDirection(m.direction ?? offer.direction)];
  const rtcpMux = m.rtcpMux === 'rtcp-mux';
  const srtp = pick.crypto ? answerSrtp(pick.crypto, local.currentSrtp) : undefined;
  const ours = srtp ? cryptoAttribute(srtp.tag, srtp.localKey) : undefined;
  const media = offer.media.map((om, i) => (i === pick.index ? audioBlock(local, pick, ourDirection, om.protocol, rtcpMux, ours) : rejected(om)));
  const answerSdp = render(local, media);
  return { ...negotiated(offer, pick, ourDirection), ...(srtp ? { srtp } : {}), answerSdp };
}

export interface OfferOptions extends LocalMedia {
  /** Dynamic PT we offer for telephone-event (default 101); null to offer none. */
  telephoneEventPt?: number | null;
  direction?: Direction;
  /** Offer RTP/SAVP with one `a=crypto` per key, tags 1…n in this (preference) order. */
  srtpKeys?: readonly SrtpMasterKey[];
}

/** An offer for an outbound call: our codecs with their static PTs, telephone-event, ptime. */
export function buildOffer(opts: OfferOptions): string {
  const te = opts.telephoneEventPt === undefined ? 101 : opts.telephoneEventPt;
  const pts = opts.codecs.map((c) => STATIC_PT[c]);
  const m: MediaDescription = {
    type: 'audio', port: opts.port, protocol: opts.srtpKeys?.length ? SAVP : 'RTP/AVP', payloads: [...pts, ...(te === null ? [] : [te])].join(' '),
    rtp: opts.codecs.map((c) => ({ payload: STATIC_PT[c], codec: c, rate: 8000 })),
    fmtp: [], ptime: opts.ptime ?? 20, direction: opts.direction ?? 'sendrecv',
  };
  if (te !== null) {
    m.rtp.push({ payload: te, codec: 'telephone-event', rate: 8000 });
    m.fmtp.push({ payload: te, config: '0-16' });
  }
  if (opts.srtpKeys?.length) m.crypto = opts.srtpKeys.map((k, i) => cryptoAttribute(i + 1, k));
  return render(opts, [m]);
}

function render(local: LocalMedia, media: MediaDescription[]): string {
  const text = originAddressFromConnection(sdpTransform.write(session(local, media)));
  return continueSession(text, local.previous);
}

/**
 * Read the answer to our offer (outbound call). Fails if it picked nothing we
 * offered. With `srtpKeys` (our SAVP offer) the answer must be SAVP and pick
 * one of our tags with the same suite (RFC 4568 §7.1.3); its key is the peer's.
 */
export function parseAnswer(answerSdp: string, offeredCodecs: readonly G711Codec[],
  srtpKeys?: readonly SrtpMasterKey[]): NegotiatedMedia | NegotiationFailure {
  let answer: SessionDescription;
  try {
    answer = sdpTransform.parse(answerSdp);
  } catch (err) {
    return { ok: false, status: 488, reason: `unparseable SDP: ${(err as Error).message}` };
  }
  // RFC 3264 §6.1: the answer's PT list is in the answerer's preference; take the first we offered.
  const keys = srtpKeys ?? [];
  const cryptoOf: CryptoChooser = (m) => (m.crypto ?? []).map(parseCrypto)
    .find((c) => c !== undefined && keys[c.tag - 1]?.suite === c.key.suite);
  const pick = choose(answer, firstAnswered(answer, offeredCodecs), keys.length ? 'required' : 'disabled', cryptoOf);
  if (!('index' in pick)) return pick;
  const m = answer.media[pick.index]!;
  const media = negotiated(answer, pick, MIRROR[sdpDirection(m.direction ?? answer.direction)]);
  const c = pick.crypto;
  return c ? { ...media, srtp: { suite: c.key.suite, tag: c.tag, localKey: keys[c.tag - 1]!, remoteKey: c.key } } : media;
}

function firstAnswered(answer: SessionDescription, offered: readonly G711Codec[]): G711Codec[] {
  const m = answer.media.find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) return [...offered];
  const order = payloadList(m).map((p) => codecOf(m, p)?.split('/')[0]);
  return [...offered].sort((a, b) => rank(order, a) - rank(order, b));
}

function rank(order: Array<string | undefined>, codec: string): number {
  const i = order.indexOf(codec);
  return i < 0 ? order.length : i;
}

export { readOrigin, reofferHold, reofferUnhold } from './sdp-origin.js';
