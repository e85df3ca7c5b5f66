/**
 * Symmetric RTP latching (RFC 4961; "comedia"): send to where the peer's RTP
 * really comes from, not to the SDP address, because NATs rewrite it.
 *
 * Rule: the first acceptable packet (right payload type, checked by the
 * caller) latches. Later, a different source takes over only after
 * `confirmPackets` consecutive in-sequence packets from it while the latched
 * source has been quiet for `quietMs` (NAT rebinding, SBC failover). An
 * injected packet stream cannot steal the call while the real peer talks.
 * `reset()` (re-INVITE with a new address) lets the next packet latch at once.
 */
export interface LatchOptions {
  confirmPackets?: number;
  quietMs?: number;
}

export class SymmetricLatch {
  address: string | undefined;
  port = 0;
  private lastSeenMs = 0;
  private candAddress = '';
  private candPort = 0;
  private candSeq = -1;
  private candCount = 0;
  private readonly confirm: number;
  private readonly quietMs: number;
  /** Relatches so far (not counting the first latch). */
  relatches = 0;
  /** Packets refused because they came from another source. */
  refused = 0;

  constructor(opts: LatchOptions = {}) {
    this.confirm = opts.confirmPackets ?? 5;
    this.quietMs = opts.quietMs ?? 200;
  }

  get latched(): boolean {
    return this.address !== undefined;
  }

  reset(): void {
    this.address = undefined;
    this.candCount = 0;
  }

  /** Should a packet from address:port be accepted? May (re)latch. */
  offer(address: string, port: number, seq: number, nowMs: number): boolean {
    if (this.address === undefined || (address === this.address && port === this.port)) {
      if (this.address === undefined) this.latch(address, port);
      this.lastSeenMs = nowMs;
      return true;
    }
    const same = address === this.candAddress && port === this.candPort && ((this.candSeq + 1) & 0xffff) === seq;
    this.candCount = same ? this.candCount + 1 : 1;
    this.candAddress = address;
    this.candPort = port;
    this.candSeq = seq;
    if (this.candCount >= this.confirm && nowMs - this.lastSeenMs >= this.quietMs) {
      this.latch(address, port);
      this.relatches++;
      this.lastSeenMs = nowMs;
      return true;
    }
    this.refused++;
    return false;
  }

  private latch(address: string, port: number): void {
    this.address = address;
    this.port = port;
    this.candCount = 0;
  }
}
