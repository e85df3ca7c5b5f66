import type { LiveCall } from './live-call.js';

/** The calls in progress in this process, with the capacity limit that admission checks. */
export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();

  constructor(readonly capacity: number) {}

  hasRoom(): boolean {
    return this.calls.size < this.capacity;
  }

  add(session: LiveCall): void {
    this.calls.set(session.id, session);
  }

  remove(id: string): void {
    this.calls.delete(id);
  }

  get(id: string): LiveCall | undefined {
    return this.calls.get(id);
  }

  list(): LiveCall[] {
    return [...this.calls.values()];
  }

  get size(): number {
    return this.calls.size;
  }

  /** Waits up to `graceMs` for the calls in progress to end by themselves. */
  async drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  /** Ends every call (reason `shutdown`) and waits for their teardown. */
  async endAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.end('shutdown', 'bridge shutting down')));
  }
}
