import type { OutboundCallRequest, OutboundDialer, PlacedCall } from '../../../src/calls/outbound-dialer.js';

/** An in-memory dialer: records every request; the test plays the far end. */
export class FakeDialer implements OutboundDialer {
  readonly dials: (OutboundCallRequest & PlacedCall)[] = [];
  failNext = 0;
  /** While set, dial() waits here (a dialer waiting for its pacing slot). */
  private gate: { promise: Promise<void>; open(): void } | undefined;

  hold(): void {
    let open!: () => void;
    this.gate = { promise: new Promise<void>((r) => (open = r)), open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  async dial(request: OutboundCallRequest): Promise<PlacedCall> {
    if (this.gate) await this.gate.promise;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('provider refused the call');
    }
    const n = this.dials.length + 1;
    const placed = { callId: `call-${n}`, providerCallId: `CA${String(n).padStart(32, '0')}` };
    this.dials.push({ ...request, ...placed });
    return placed;
  }

  to(number: string): (OutboundCallRequest & PlacedCall)[] {
    return this.dials.filter((d) => d.to === number);
  }
}
