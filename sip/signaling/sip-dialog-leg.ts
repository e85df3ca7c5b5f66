import { EventEmitter } from 'node:events';
import { answerOffer, type Direction, type G711Codec, type NegotiatedMedia } from '../media/sdp-negotiation.js';
import type { LegMedia } from './media-port.js';
import { referTransfer, type ReferOptions, type ReferOutcome } from './refer-transfer.js';
import { parseDtmfRelay, type NameAddr } from './sip-headers.js';
import type { SipDialog, SipRequestLike, SipServerResponse } from './srf-types.js';

/**
 * One confirmed SIP dialog with its media, as src/ sees it. It answers
 * in-dialog requests (re-INVITE, INFO, REFER from the far end) and ends once:
 * BYE first, then the cleanups: RTP session (RTCP BYE) and port, then the
 * capacity slot, in that order (RFC 3261 §15: BYE ends the session).
 */

export interface SipDialogLegEvents {
  /** The far end sent BYE (RFC 3261 §15.1.2). */
  bye: [reason: string];
  /** A re-INVITE changed the media (RFC 3264 §8): new address and/or hold direction. */
  reinvite: [remote: NegotiatedMedia['remote'], direction: Direction];
  /** SIP INFO `application/dtmf-relay` (or `application/dtmf`). */
  'dtmf-info': [digit: string, durationMs: number | undefined];
}

export interface SipDialogLegInit {
  dialog: SipDialog;
  direction: 'inbound' | 'outbound';
  from: NameAddr;
  to: NameAddr;
  agentId?: string;
  trunkId?: string;
  /** Signalling transport of the dialog (udp, tcp, tls, …). */
  transport?: string;
  media: LegMedia;
  /** For re-INVITE answers: the same local address we answered with. */
  publicAddress: string;
  /** Closes RTP and frees the port, capacity slot, … (run once, last first). */
  cleanups?: Array<() => void>;
}

export class SipDialogLeg extends EventEmitter<SipDialogLegEvents> {
  readonly callId: string;
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly agentId?: string;
  readonly trunkId?: string;
  readonly transport: string;
  readonly direction: 'inbound' | 'outbound';
  readonly dialog: SipDialog;
  media: LegMedia;
  private ended = false;
  private readonly cleanups: Array<() => void>;

  constructor(private readonly init: SipDialogLegInit) {
    super();
    this.dialog = init.dialog;
    this.callId = init.dialog.sip.callId;
    this.from = init.from;
    this.to = init.to;
    this.agentId = init.agentId;
    this.trunkId = init.trunkId;
    this.transport = (init.transport ?? 'udp').toLowerCase();
    this.direction = init.direction;
    this.media = init.media;
    this.cleanups = init.cleanups ?? [];
    this.dialog.on('destroy', (_bye, reason) => this.onRemoteBye(reason ?? 'normal release'));
    this.dialog.on('modify', (req, res) => this.onReinvite(req, res));
    this.dialog.on('info', (req, res) => this.onInfo(req, res));
    // RFC 3515 §2.4.2: we do not act on transfers requested by the far end.
    this.dialog.on('refer', (_req, res) => res.send(603, 'Decline'));
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Send BYE (RFC 3261 §15.1.1), then release media and capacity. Idempotent. */
  async hangup(headers?: Record<string, string>): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.dialog.destroy(headers ? { headers } : undefined);
    } catch { /* the dialog may already be gone; we still release */ }
    this.release();
  }

  /** Blind transfer (RFC 3515). On `transferred` the caller is gone: we hang up our side. */
  async refer(target: string, opts?: ReferOptions): Promise<ReferOutcome> {
    const outcome = await referTransfer(this.dialog, target, opts);
    if (outcome.kind === 'transferred') await this.hangup();
    return outcome;
  }

  private onRemoteBye(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('bye', reason);
    this.release();
  }

  private release(): void {
    for (const fn of this.cleanups.splice(0).reverse()) {
      try { fn(); } catch { /* keep releasing */ }
    }
  }

  /** Answer a re-INVITE on the same port; hold is just a direction (RFC 3264 §8.4). */
  private onReinvite(req: SipRequestLike, res: SipServerResponse): void {
    const headers = { 'Content-Type': 'application/sdp' };
    if (!req.body) {
      // Offerless re-INVITE: our current SDP is the offer, the ACK carries the answer (RFC 3261 §14.2).
      res.send(200, { headers, body: this.media.localSdp });
      return;
    }
    // Same port, same codec (the RTP session's law is fixed); the o= version
    // moves only if our answer changed (RFC 3264 §8).
    // SRTP stays SRTP and plain stays plain: the session's transform is fixed (a downgrade mid-call is refused).
    const codecs: readonly G711Codec[] = [this.media.codec];
    const current = this.media.srtp;
    const answer = answerOffer(req.body, {
      address: this.init.publicAddress, port: this.media.session.localPort, codecs, ptime: 20, previous: this.media.localSdp,
      mediaEncryption: current ? 'required' : 'disabled', currentSrtp: current,
    });
    if (!answer.ok) {
      res.send(488, answer.reason || 'Not Acceptable Here');
      return;
    }
    const { answerSdp, ...negotiated } = answer;
    this.media = { ...negotiated, session: this.media.session, localSdp: answerSdp };
    if (negotiated.srtp && negotiated.srtp.localKey !== current?.localKey) this.media.session.rekey(negotiated.srtp);
    res.send(200, { headers, body: answerSdp });
    this.media.session.setRemote(negotiated.remote);
    this.media.session.setDirection(negotiated.direction);
    this.emit('reinvite', negotiated.remote, negotiated.direction);
  }

  private onInfo(req: SipRequestLike, res: SipServerResponse): void {
    const type = (req.get('Content-Type') ?? '').toLowerCase();
    const body = req.body ?? '';
    let dtmf: { digit: string; durationMs?: number } | undefined;
    if (type.startsWith('application/dtmf-relay')) dtmf = parseDtmfRelay(body);
    else if (type.startsWith('application/dtmf')) dtmf = parseDtmfRelay(`Signal=${body.trim()}`);
    res.send(200);
    if (dtmf) this.emit('dtmf-info', dtmf.digit, dtmf.durationMs);
  }
}
