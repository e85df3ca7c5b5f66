/**
 * RTP port pairs from a configured range (RFC 3550 §11: RTP on an even port,
 * RTCP on the next odd one). Hands out even ports round-robin so a port just
 * released is not reused at once (late packets of the old call would land in
 * the new one); ports the OS reports busy are skipped by the caller via
 * `reserve` again. Pure bookkeeping, no sockets.
 */
export interface PortRange {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port, inclusive; the last pair's RTCP port must fit. */
  max: number;
}

export class PortAllocator {
  private readonly first: number;
  private readonly count: number;
  private readonly used = new Set<number>();
  private cursor = 0;

  constructor(range: PortRange) {
    this.first = range.min + (range.min & 1);
    this.count = Math.floor((range.max - this.first + 1) / 2);
    if (!(this.first >= 1024 && range.max <= 65535 && this.count > 0)) {
      throw new RangeError(`PortAllocator: bad range ${range.min}-${range.max} (need at least one even/odd pair in 1024-65535)`);
    }
  }

  /** Next free even port, or undefined when every pair is taken. */
  reserve(): number | undefined {
    for (let i = 0; i < this.count; i++) {
      const port = this.first + 2 * ((this.cursor + i) % this.count);
      if (!this.used.has(port)) {
        this.used.add(port);
        this.cursor = (this.cursor + i + 1) % this.count;
        return port;
      }
    }
    return undefined;
  }

  release(port: number): void {
    this.used.delete(port);
  }

  get inUse(): number {
    return this.used.size;
  }

  get capacity(): number {
    return this.count;
  }
}
