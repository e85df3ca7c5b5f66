/**
 * Token bucket over inbound frames. Twilio sends 50 frames a second; a peer
 * sending far more is broken or hostile, and we drop the excess rather than
 * let it starve the other calls sharing the process.
 */
export class FloodGate {
  private tokens: number;
  private lastMs = -1;

  constructor(private readonly burst: number, private readonly perSecond: number) {
    this.tokens = burst;
  }

  take(nowMs: number): boolean {
    if (this.lastMs >= 0) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    }
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
