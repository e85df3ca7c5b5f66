/**
 * Replay protection (RFC 3711 §3.3.2): a sliding window over packet indices.
 * `check` before authenticating is allowed (it only reads); `accept` only
 * after the tag verified, so forged packets cannot move the window.
 * Window size 128 (the RFC asks for at least 64).
 */
export const REPLAY_WINDOW = 128;

export type ReplayVerdict = 'new' | 'replayed' | 'too-old';

export class ReplayWindow {
  private highest = -1;
  /** Bit k set = index (highest - k) seen. */
  private seen = 0n;

  check(index: number): ReplayVerdict {
    if (this.highest < 0 || index > this.highest) return 'new';
    const back = this.highest - index;
    if (back >= REPLAY_WINDOW) return 'too-old';
    return (this.seen >> BigInt(back)) & 1n ? 'replayed' : 'new';
  }

  accept(index: number): void {
    if (this.highest < 0) {
      this.highest = index;
      this.seen = 1n;
      return;
    }
    if (index > this.highest) {
      const shift = index - this.highest;
      this.seen = shift >= REPLAY_WINDOW ? 1n : ((this.seen << BigInt(shift)) | 1n) & ((1n << BigInt(REPLAY_WINDOW)) - 1n);
      this.highest = index;
      return;
    }
    this.seen |= 1n << BigInt(this.highest - index);
  }
}
