/**
 * Synthesized audio by cache key (see `cacheKey`): an LRU bounded by total
 * bytes, plus single-flight, so concurrent requests for one key share one
 * synthesis and each streams from it as it grows (the first listener hears
 * audio as soon as the engine yields it; later ones catch up from the start).
 * Only complete, successful syntheses are stored; a failure is handed to every
 * listener of that flight and the next request tries again.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { TtsError } from './tts-engine.js';

export interface TtsCacheOptions {
  maxBytes: number;
  /** Registry for the hit/miss/size metrics (none: metrics are kept but not exported). */
  registry?: Registry;
}

/** Runs one synthesis; the signal fires only when the cache is closed. */
export type Synthesize = (signal: AbortSignal) => AsyncIterable<Uint8Array>;

interface Flight {
  chunks: Uint8Array[];
  done: boolean;
  error?: unknown;
  wakers: Set<() => void>;
}

export class TtsCache {
  private readonly entries = new Map<string, Uint8Array>(); // insertion order = recency
  private readonly flights = new Map<string, Flight>();
  private readonly closing = new AbortController();
  private bytes = 0;
  readonly hits: Counter<'source'>;
  readonly misses: Counter;
  private readonly sizeBytes: Gauge;
  private readonly entryCount: Gauge;

  constructor(private readonly opts: TtsCacheOptions) {
    const registers = opts.registry ? [opts.registry] : [];
    this.hits = new Counter({ name: 'bridge_tts_cache_hits_total', help: 'TTS requests served without a new synthesis (memory: stored audio; in-flight: joined a running synthesis)', labelNames: ['source'] as const, registers });
    this.misses = new Counter({ name: 'bridge_tts_cache_misses_total', help: 'TTS requests that started a synthesis', registers });
    this.sizeBytes = new Gauge({ name: 'bridge_tts_cache_bytes', help: 'Bytes of G.711 audio held by the TTS cache', registers });
    this.entryCount = new Gauge({ name: 'bridge_tts_cache_entries', help: 'Messages held by the TTS cache', registers });
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stored audio for `key` (marks it recently used), without counting a hit. */
  peek(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }

  /** The audio for `key`: stored, shared with a running synthesis, or from a new one. */
  stream(key: string, synthesize: Synthesize, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const stored = this.touch(key);
    if (stored) {
      this.hits.inc({ source: 'memory' });
      return follow({ chunks: [stored], done: true, wakers: new Set() }, signal);
    }
    let flight = this.flights.get(key);
    if (flight) this.hits.inc({ source: 'in-flight' });
    else flight = this.start(key, synthesize);
    return follow(flight, signal);
  }

  /** Synthesizes (or finds) the audio now and resolves with all of it; rejects if synthesis fails. */
  async prefetch(key: string, synthesize: Synthesize, signal?: AbortSignal): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.stream(key, synthesize, signal)) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Aborts running syntheses (shutdown). */
  close(): void {
    this.closing.abort();
  }

  private touch(key: string): Uint8Array | undefined {
    const data = this.entries.get(key);
    if (data) {
      this.entries.delete(key);
      this.entries.set(key, data);
    }
    return data;
  }

  private start(key: string, synthesize: Synthesize): Flight {
    this.misses.inc();
    const flight: Flight = { chunks: [], done: false, wakers: new Set() };
    this.flights.set(key, flight);
    void (async () => {
      try {
        for await (const chunk of synthesize(this.closing.signal)) {
          flight.chunks.push(chunk);
          wake(flight);
        }
        this.store(key, Buffer.concat(flight.chunks));
      } catch (err) {
        flight.error = err;
      } finally {
        flight.done = true;
        this.flights.delete(key);
        wake(flight);
      }
    })();
    return flight;
  }

  private store(key: string, data: Uint8Array): void {
    if (data.length === 0 || data.length > this.opts.maxBytes) return;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + data.length <= this.opts.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.length;
    }
    this.entries.set(key, data);
    this.bytes += data.length;
    this.sizeBytes.set(this.bytes);
    this.entryCount.set(this.entries.size);
  }
}

function wake(flight: Flight): void {
  const wakers = [...flight.wakers];
  flight.wakers.clear();
  for (const w of wakers) w();
}

/** One listener's view of a flight: every chunk from the first, then its end or its error. */
async function* follow(flight: Flight, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for (let i = 0; ; ) {
    if (signal?.aborted) throw new TtsError('aborted', 'synthesis aborted');
    if (i < flight.chunks.length) {
      yield flight.chunks[i++]!;
      continue;
    }
    if (flight.done) {
      if (flight.error !== undefined) throw flight.error;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        flight.wakers.delete(done);
        resolve();
      };
      flight.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
