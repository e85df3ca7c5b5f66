/**
 * The jitter buffer's sample store: G.711 octets placed by RTP timestamp
 * (RFC 3550 §5.1: the timestamp is the sampling instant of the first octet)
 * into a power-of-two ring, with a flag per sample saying whether it arrived.
 * Placement by timestamp undoes reordering for free and takes packets of any
 * ptime. Pure.
 */
export class SampleRing {
  private readonly mask: number;
  private readonly samples: Uint8Array;
  private readonly filled: Uint8Array;

  /** Holds at least `capacity` samples; `frame` is the samples per frame. */
  constructor(
    capacity: number,
    private readonly frame: number,
    private readonly silence: number,
  ) {
    const size = 1 << Math.ceil(Math.log2(capacity));
    this.mask = size - 1;
    this.samples = new Uint8Array(size);
    this.filled = new Uint8Array(size);
  }

  clear(): void {
    this.filled.fill(0);
  }

  /** Store a payload at `timestamp` (wrapping); returns the timestamp just past its end. */
  write(timestamp: number, payload: Uint8Array): number {
    const mask = this.mask;
    const start = timestamp & mask;
    const n = Math.min(payload.length, mask + 1);
    const first = Math.min(n, mask + 1 - start);
    this.samples.set(first === n ? payload : payload.subarray(0, first), start);
    this.filled.fill(1, start, start + first);
    if (first < n) {
      this.samples.set(payload.subarray(first, n), 0);
      this.filled.fill(1, 0, n - first);
    }
    return (timestamp + n) >>> 0;
  }

  /** Move the frame at `ts` into `out`; missing samples become silence. Returns the samples present. */
  take(ts: number, out: Uint8Array): number {
    const mask = this.mask;
    let got = 0;
    for (let i = 0; i < this.frame; i++) {
      const k = (ts + i) & mask;
      if (this.filled[k]) {
        out[i] = this.samples[k]!;
        this.filled[k] = 0;
        got++;
      } else out[i] = this.silence;
    }
    return got;
  }

  /** Any sample of the frame at `ts` present. */
  has(ts: number): boolean {
    for (let i = 0; i < this.frame; i++) if (this.filled[(ts + i) & this.mask]) return true;
    return false;
  }

  /** Forget the frame at `ts`. */
  drop(ts: number): void {
    for (let i = 0; i < this.frame; i++) this.filled[(ts + i) & this.mask] = 0;
  }
}
