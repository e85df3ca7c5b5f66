/**
 * Re-frames a byte stream arriving in arbitrary chunk sizes (agent audio
 * bursts, WebSocket messages) into exact fixed-size frames, e.g. 160 bytes =
 * 20 ms of 8 kHz G.711 (the RTP/Twilio packetisation, RFC 3551 §4.5.14).
 *
 * Each emitted frame is a fresh Uint8Array the callee may keep; the only
 * retained state is one partial frame, so memory is bounded by `frameBytes`.
 */
export class FrameChunker {
  private readonly pending: Uint8Array;
  private fill = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`FrameChunker: frameBytes must be a positive integer, got ${frameBytes}`);
    }
    this.pending = new Uint8Array(frameBytes);
  }

  /** Bytes held back waiting for the rest of a frame (0 ≤ n < frameBytes). */
  get pendingBytes(): number {
    return this.fill;
  }

  /** Append `data`; call `onFrame` for every frame completed, in order. */
  push(data: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    const size = this.frameBytes;
    let offset = 0;
    if (this.fill > 0) {
      const take = Math.min(size - this.fill, data.length);
      this.pending.set(data.subarray(0, take), this.fill);
      this.fill += take;
      offset = take;
      if (this.fill < size) return;
      this.fill = 0;
      onFrame(this.pending.slice());
    }
    // Whole frames straight from the input: one copy each, no staging.
    for (; offset + size <= data.length; offset += size) {
      onFrame(data.slice(offset, offset + size));
    }
    if (offset < data.length) {
      this.pending.set(data.subarray(offset), 0);
      this.fill = data.length - offset;
    }
  }

  /**
   * Emit the partial frame, if any, padded to full size with `padByte` (use
   * the codec's silence, e.g. MULAW_SILENCE, so the pad is inaudible).
   */
  flush(onFrame: (frame: Uint8Array) => void, padByte: number): void {
    if (this.fill === 0) return;
    const frame = new Uint8Array(this.frameBytes);
    frame.set(this.pending.subarray(0, this.fill));
    frame.fill(padByte, this.fill);
    this.fill = 0;
    onFrame(frame);
  }

  /** Drop the partial frame (barge-in: the agent's queued audio is discarded). */
  clear(): void {
    this.fill = 0;
  }

  toString(): string {
    return `chunk(${this.frameBytes}B)`;
  }
}
