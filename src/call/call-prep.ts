/**
 * Work started for a call before its media exists: at the Twilio voice
 * webhook, or while a SIP INVITE rings (e.g. the personalization webhook, a
 * signed URL for the agent). Tasks are keyed by the provider's call id
 * (CallSid / SIP Call-ID) and a typed task name, and consumed once when the
 * stream starts. A call that never reaches its stream (caller hung up while
 * ringing, stream landed on another instance) must not leak: every key
 * expires after `ttlMs`, its tasks are aborted and dropped.
 */

/** A named task with the type of its result, declared once per kind of preparation. */
export interface PrepTask<T> {
  readonly name: string;
  /** Type marker only (never set). */
  readonly _result?: T;
}

export function prepTask<T>(name: string): PrepTask<T> {
  return { name };
}

export interface CallPrepOptions {
  /** How long a call's prepared work waits to be taken. */
  ttlMs: number;
  /** Told when a task is dropped unconsumed (expired or discarded), e.g. for a metric. */
  onDropped?: (task: string, why: 'expired' | 'discarded') => void;
}

interface Entry {
  readonly abort: AbortController;
  readonly tasks: Map<string, Promise<unknown>>;
  readonly expiry: NodeJS.Timeout;
}

export class CallPrep {
  private readonly calls = new Map<string, Entry>();

  constructor(private readonly opts: CallPrepOptions) {}

  /**
   * Starts `run` now for this call. Its signal aborts when the call's
   * preparation expires or is discarded. Starting a task that already runs
   * for this call keeps the first (a retried webhook must not POST twice).
   */
  start<T>(callKey: string, task: PrepTask<T>, run: (signal: AbortSignal) => Promise<T>): void {
    const entry = this.entry(callKey);
    if (entry.tasks.has(task.name)) return;
    let promise: Promise<T>;
    try {
      promise = run(entry.abort.signal);
    } catch (err) {
      promise = Promise.reject(err as Error);
    }
    // Nobody may ever take it: a rejection must not surface as unhandled.
    promise.catch(() => undefined);
    entry.tasks.set(task.name, promise);
  }

  /** The task's result promise, removed from the preparation; undefined if it was never started here. */
  take<T>(callKey: string, task: PrepTask<T>): Promise<T> | undefined {
    const entry = this.calls.get(callKey);
    const promise = entry?.tasks.get(task.name) as Promise<T> | undefined;
    if (!entry || !promise) return undefined;
    entry.tasks.delete(task.name);
    // Consumed tasks belong to the call now; the entry goes when the last one is taken.
    if (entry.tasks.size === 0) this.forget(callKey, entry);
    return promise;
  }

  /** Whether a task runs (or ran, untaken) for this call. */
  has(callKey: string, task: PrepTask<unknown>): boolean {
    return this.calls.get(callKey)?.tasks.has(task.name) ?? false;
  }

  /** The call will not start (rejected, cancelled): abort and drop whatever it prepared. */
  discard(callKey: string): void {
    const entry = this.calls.get(callKey);
    if (entry) this.drop(callKey, entry, 'discarded');
  }

  /** Calls with prepared work not yet taken. */
  get size(): number {
    return this.calls.size;
  }

  /** Shutdown: abort everything. */
  clear(): void {
    for (const [key, entry] of [...this.calls]) this.drop(key, entry, 'discarded');
  }

  private entry(callKey: string): Entry {
    const existing = this.calls.get(callKey);
    if (existing) return existing;
    const expiry = setTimeout(() => {
      const entry = this.calls.get(callKey);
      if (entry) this.drop(callKey, entry, 'expired');
    }, this.opts.ttlMs);
    expiry.unref();
    const entry: Entry = { abort: new AbortController(), tasks: new Map(), expiry };
    this.calls.set(callKey, entry);
    return entry;
  }

  private drop(callKey: string, entry: Entry, why: 'expired' | 'discarded'): void {
    for (const name of entry.tasks.keys()) this.opts.onDropped?.(name, why);
    entry.abort.abort(new Error(`call preparation ${why}`));
    this.forget(callKey, entry);
  }

  private forget(callKey: string, entry: Entry): void {
    clearTimeout(entry.expiry);
    if (this.calls.get(callKey) === entry) this.calls.delete(callKey);
  }
}
