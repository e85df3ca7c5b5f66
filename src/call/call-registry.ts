import type { LiveCall } from './live-call.js';

/** The calls in progress in this process, with the capacity limit that admission checks. */
export type RegistryChange = 'added' | 'removed';

export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();
  private readonly watchers = new Set<(change: RegistryChange, call: LiveCall) => void>();

  constructor(readonly capacity: number) {}

  /** Observes calls joining and leaving (the API's event stream); returns the unsubscribe function. */
  watch(watcher: (change: RegistryChange, call: LiveCall) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  hasRoom(): boolean {
    return this.calls.size < this.capacity;
  }

  add(session: LiveCall): void {
    this.calls.set(session.id, session);
    for (const w of this.watchers) w('added', session);
  }

  remove(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    for (const w of this.watchers) w('removed', call);
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
