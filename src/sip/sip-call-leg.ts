import type { NameAddr } from '../../sip/signaling/sip-headers.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import type { CallLeg, CallLegHandler, LegCodec, WireTap } from '../call/call-leg.js';
import { mapEndReason, type EndReason } from '../call/end-reason.js';

const LEG_CODEC: Record<SipDialogLeg['media']['codec'], LegCodec> = { PCMU: 'ulaw', PCMA: 'alaw', G722: 'g722' };
/** RTP clock ticks per ms: 8000 Hz for G.711 and, by RFC 3551 §4.5.2's historical rule, for G.722 too. */
const RTP_TICKS_PER_MS = 8;
const FRAME_MS = 20;

/** Signed difference of two 32-bit RTP timestamps (RFC 3550 §5.1: they wrap). */
const tsDiff = (a: number, b: number): number => (a - b) | 0;

/**
 * A SIP call as the call logic sees it: signaling from the dialog leg
 * (BYE, INFO DTMF), media from its RTP session (audio, RFC 4733 DTMF, the
 * sender queue as playback truth). Same interface as a Twilio leg, so a SIP
 * call gets every line of the same CallSession.
 */
export class SipCallLeg implements CallLeg {
  readonly kind = 'sip';
  readonly codec: LegCodec;
  readonly providerCallId: string;
  readonly from: NameAddr;
  readonly to: NameAddr;
  private handler: CallLegHandler | undefined;
  private ended = false;
  private handoff: (() => void) | undefined;

  constructor(readonly dialog: SipDialogLeg) {
    this.codec = LEG_CODEC[dialog.media.codec];
    this.providerCallId = dialog.callId;
    this.from = dialog.from;
    this.to = dialog.to;
    const rtp = dialog.media.session;
    rtp.on('audio', (payload: Uint8Array) => this.handler?.onAudio({ payload }));
    rtp.on('dtmf', (digit: string) => this.handler?.onDtmf(digit));
    rtp.on('played', (label: string) => this.handler?.onPlayed(label));
    rtp.on('timeout', () => this.finish('media-timeout', 'no RTP from the far end'));
    dialog.on('dtmf-info', (digit) => this.handler?.onDtmf(digit));
    dialog.on('bye', (reason) => this.finish('caller-hangup', `BYE (${reason})`));
  }

  attach(handler: CallLegHandler): void {
    this.handler = handler;
  }

  private get rtp() {
    return this.dialog.media.session;
  }

  sendAudio(frame: Uint8Array): void {
    if (!this.ended) this.rtp.sendAudio(frame);
  }

  mark(label: string): void {
    if (!this.ended) this.rtp.mark(label);
  }

  clear(): void {
    if (!this.ended) this.rtp.clear();
  }

  unplayedMs(): number {
    return this.ended ? 0 : this.rtp.unplayedMs();
  }

  /**
   * A recording hears what is on the wire: the caller's packets as they
   * arrive (before the jitter buffer, which conceals, stretches and drops),
   * at their RTP timestamp's media time; and every payload the sender put
   * out (audio dropped at barge-in never was), at the media time its
   * timestamp stands for: the slot schedule it was sent on.
   */
  setWireTap(tap: WireTap | undefined): void {
    let rx: { ssrc: number; ts: number } | undefined;
    let tx: { ts: number; ms: number } | undefined;
    this.rtp.setMediaTap(tap && {
      received: (payload, ts, ssrc) => {
        if (rx?.ssrc !== ssrc) rx = { ssrc, ts };
        // A copy (Buffer#slice would be a view): with SRTP the payload is a view of a reused buffer.
        tap.received(new Uint8Array(payload), tsDiff(ts, rx.ts) / RTP_TICKS_PER_MS, ssrc);
      },
      sent: (payload, ts, slotMs) => {
        let atMs = tx ? tx.ms + tsDiff(ts, tx.ts) / RTP_TICKS_PER_MS : slotMs;
        // The timestamps keep the slot schedule; should they ever part from it, the schedule is the truth.
        if (!tx || Math.abs(atMs - slotMs) >= FRAME_MS) tx = { ts, ms: atMs = slotMs };
        tap.sent(payload, atMs);
      },
    });
  }

  /**
   * The next `hangup('transfer')` gives the leg to `fn` instead of ending it:
   * the caller stays connected while the transfer (REFER or bridge) runs, and
   * can go back to an agent if it fails.
   */
  handOffOnTransfer(fn: () => void): void {
    this.handoff = fn;
  }

  /** Sends BYE (RFC 3261 §15.1.1), then the dialog leg releases RTP and the port. */
  async hangup(reason: EndReason): Promise<void> {
    if (reason === 'transfer' && this.handoff) {
      const fn = this.handoff;
      this.handoff = undefined;
      const h = this.handler;
      this.handler = undefined;
      h?.onEnded(reason, 'handed over for transfer');
      return fn();
    }
    this.finish(reason, 'hung up by bridge');
    // RFC 3326 Reason header: the end reason and its SIP status from the one mapping.
    await this.dialog.hangup({ Reason: `SIP;cause=${mapEndReason(reason).sipStatus};text="${reason}"` });
  }

  private finish(reason: EndReason, detail: string): void {
    if (this.ended) return;
    this.ended = true;
    const h = this.handler;
    this.handler = undefined;
    h?.onEnded(reason, detail);
  }
}
