/**
 * Every timer a conversation or server starts goes through one bag, so teardown can
 * clear them all in one call and `close()` provably leaves no timer behind.
 */
export class TimerBag {
  private readonly live = new Set<NodeJS.Timeout>();
  private disposed = false;

  /** Runs `fn` once after `ms`. After `dispose()` this does nothing. */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.disposed) return undefined;
    const t = setTimeout(() => {
      this.live.delete(t);
      fn();
    }, ms);
    this.live.add(t);
    return t;
  }

  every(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.disposed) return undefined;
    const t = setInterval(fn, ms);
    this.live.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.live.delete(t);
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.live) clearTimeout(t);
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}
