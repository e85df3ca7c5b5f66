import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElevenLabsTts } from '../../src/tts/elevenlabs-tts.js';
import { EspeakTts } from '../../src/tts/espeak-tts.js';
import { TtsCache } from '../../src/tts/tts-cache.js';
import type { TtsEngine } from '../../src/tts/tts-engine.js';
import { TtsPlayback } from '../../src/tts/tts-playback.js';
import { TtsService } from '../../src/tts/tts-service.js';
import { synthesizeAudio } from '../../tools/tts-standin/standin-audio.js';
import { TtsStandIn } from '../../tools/tts-standin/tts-standin.js';
import { missingToolsReason } from '../support/tools.js';
import { RealTimeLeg } from './fake-leg.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const RECIPIENTS = Array.from({ length: 1000 }, (_, i) => ({ phone: `+1415555${String(i).padStart(4, '0')}`, name: NAMES()[i % 10]! }));
function NAMES(): string[] {
  return ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Eve', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas'];
}
const STATIC = 'This is a reminder from City Library: the library is closed on Monday.';
const templated = (name: string) => `Hello ${name}, your order is ready for pickup.`;

/** Dials the list as a dispatcher would: a window of concurrent calls, each prefetching its message just before dialing. */
async function broadcast(service: TtsService, text: (r: (typeof RECIPIENTS)[number]) => string, window = 50): Promise<Uint8Array[]> {
  const audio: Uint8Array[] = [];
  for (let i = 0; i < RECIPIENTS.length; i += window) {
    const batch = RECIPIENTS.slice(i, i + window);
    audio.push(...(await Promise.all(batch.map((r) => service.prefetch(text(r), { encoding: 'ulaw' })))));
  }
  return audio;
}

async function metric(registry: Registry, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { value: number }[] | undefined)?.reduce((a, v) => a + v.value, 0) ?? 0;
}

function service(engine: TtsEngine, maxBytes = 64 << 20, registry = new Registry()): TtsService {
  return new TtsService({ engine, cache: new TtsCache({ maxBytes, registry }), defaults: { voiceId: 'v1', modelId: 'eleven_flash_v2_5' } });
}

describe('TTS cache: 1,000-recipient broadcast against the stand-in', () => {
  let standIn: TtsStandIn;
  let engine: ElevenLabsTts;
  beforeAll(async () => {
    standIn = await TtsStandIn.start({ apiKey: 'k', chunkDelayMs: 2, firstChunkDelayMs: 5 });
    engine = new ElevenLabsTts({ apiUrl: standIn.url, apiKey: 'k', modelId: 'eleven_flash_v2_5', timeoutMs: 5000 });
  });
  afterAll(() => standIn.close());

  it('a static message is synthesized once for 1,000 recipients', async () => {
    standIn.syntheses.length = 0;
    const registry = new Registry();
    const audio = await broadcast(service(engine, 64 << 20, registry), () => STATIC);
    expect(standIn.count()).toBe(1);
    expect(new Set(audio.map((a) => Buffer.from(a).toString('base64'))).size).toBe(1);
    expect(audio[0]!.length).toBe(standIn.syntheses[0]!.bytesSent);
    expect(await metric(registry, 'bridge_tts_cache_misses_total')).toBe(1);
    expect(await metric(registry, 'bridge_tts_cache_hits_total')).toBe(999);
    expect(await metric(registry, 'bridge_tts_cache_bytes')).toBe(audio[0]!.length);
  });

  it('a templated message is synthesized once per distinct text', async () => {
    standIn.syntheses.length = 0;
    const audio = await broadcast(service(engine), (r) => templated(r.name));
    expect(standIn.count()).toBe(10);
    for (const name of NAMES()) expect(standIn.count(templated(name))).toBe(1);
    expect(audio[0]!.length).not.toBe(audio[2]!.length); // "Ana" vs "Chloé": different audio per recipient
  });

  it('voice, model, settings and encoding are part of the key', async () => {
    standIn.syntheses.length = 0;
    const s = service(engine);
    await s.prefetch(STATIC, { encoding: 'ulaw' });
    await s.prefetch(STATIC, { encoding: 'alaw' });
    await s.prefetch(STATIC, { encoding: 'ulaw', voiceId: 'v2' });
    await s.prefetch(STATIC, { encoding: 'ulaw', modelId: 'eleven_multilingual_v2' });
    await s.prefetch(STATIC, { encoding: 'ulaw', voiceSettings: { stability: 0.3 } });
    await s.prefetch(STATIC, { encoding: 'ulaw', voiceSettings: { stability: 0.3 } });
    await s.prefetch(`${STATIC} `, { encoding: 'ulaw' });
    expect(standIn.count()).toBe(6);
    expect(standIn.syntheses.map((x) => [x.outputFormat, x.voiceId, x.modelId])).toContainEqual(['ulaw_8000', 'v2', 'eleven_flash_v2_5']);
  });

  it('a failure is not cached: the next request synthesizes again', async () => {
    standIn.syntheses.length = 0;
    const registry = new Registry();
    const s = service(engine, 64 << 20, registry);
    standIn.mode = 'error-mid-stream';
    await expect(s.prefetch('Failing text.', { encoding: 'ulaw' })).rejects.toMatchObject({ code: 'server_error' });
    standIn.mode = 'normal';
    await s.prefetch('Failing text.', { encoding: 'ulaw' });
    expect(standIn.count()).toBe(2);
    expect(await metric(registry, 'bridge_tts_cache_misses_total')).toBe(2);
  });
});

describe.skipIf(missingToolsReason(['espeak-ng']))('TTS cache: broadcast with the embedded espeak-ng engine', () => {
  it('static: one espeak-ng process for 1,000 recipients; templated: one per distinct text', async () => {
    const espeak = new EspeakTts({ voice: 'en-us', timeoutMs: 5000 });
    const s = new TtsService({ engine: espeak, cache: new TtsCache({ maxBytes: 64 << 20 }), defaults: { voiceId: 'en-us' } });
    await broadcast(s, () => STATIC);
    expect(espeak.spawnCount).toBe(1);
    await broadcast(s, (r) => templated(r.name));
    expect(espeak.spawnCount).toBe(11);
  });
});

describe('TTS cache bounds', () => {
  const fakeEngine = (bytes: number): TtsEngine & { calls: number } => ({
    name: 'fake',
    calls: 0,
    async *synthesize() {
      this.calls++;
      yield new Uint8Array(bytes / 2);
      yield new Uint8Array(bytes / 2);
    },
  });

  it('evicts the least recently used messages to stay within maxBytes', async () => {
    const cache = new TtsCache({ maxBytes: 3000 });
    const engine = fakeEngine(1000);
    const s = new TtsService({ engine, cache });
    for (const t of ['a', 'b', 'c']) await s.prefetch(t, { encoding: 'ulaw' });
    await s.prefetch('a', { encoding: 'ulaw' }); // a is now the most recent
    await s.prefetch('d', { encoding: 'ulaw' }); // evicts b
    expect(cache.totalBytes).toBe(3000);
    expect(engine.calls).toBe(4);
    await s.prefetch('a', { encoding: 'ulaw' });
    await s.prefetch('c', { encoding: 'ulaw' });
    expect(engine.calls).toBe(4);
    await s.prefetch('b', { encoding: 'ulaw' });
    expect(engine.calls).toBe(5);
  });

  it('a message larger than the cache is played but not stored', async () => {
    const cache = new TtsCache({ maxBytes: 500 });
    const engine = fakeEngine(1000);
    const s = new TtsService({ engine, cache });
    expect((await s.prefetch('big', { encoding: 'ulaw' })).length).toBe(1000);
    expect(cache.size).toBe(0);
  });
});

describe('TTS cache: sharing and prefetch', () => {
  let standIn: TtsStandIn;
  let s: TtsService;
  beforeAll(async () => {
    standIn = await TtsStandIn.start({ chunkDelayMs: 30, firstChunkDelayMs: 20 });
    s = service(new ElevenLabsTts({ apiUrl: standIn.url, modelId: 'm', timeoutMs: 3000 }));
  });
  afterAll(() => standIn.close());

  it('concurrent listeners share one synthesis; each hears all of it, the first before it is complete', async () => {
    const text = 'Shared message for two calls at once.';
    const arrivals: number[][] = [[], []];
    const listen = async (i: number) => {
      const parts: Uint8Array[] = [];
      for await (const c of s.stream(text, { encoding: 'ulaw' })) {
        parts.push(c);
        arrivals[i]!.push(performance.now());
      }
      return Buffer.concat(parts);
    };
    const [a, b] = await Promise.all([listen(0), listen(1)]);
    expect(standIn.count(text)).toBe(1);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(Buffer.from(synthesizeAudio(text, 'ulaw', 'tone')))).toBe(true);
    expect(arrivals[0]![0]!).toBeLessThan(standIn.syntheses.at(-1)!.finalAt!);
  });

  it('a prefetched message starts at once (no TTS round trip on answer)', async () => {
    const text = 'Hello Zoe, this is your prefetched reminder.';
    await s.prefetch(text, { encoding: 'ulaw' });
    const leg = new RealTimeLeg();
    const playback = new TtsPlayback(leg, { law: 'ulaw', maxAheadMs: 200 });
    leg.onPlayed = (l) => playback.onPlayed(l);
    const lag = eventLoopDelay();
    const t0 = performance.now();
    const ac = new AbortController();
    const playing = playback.play(s.stream(text, { encoding: 'ulaw' }), ac.signal);
    // Stop once 100 ms have played at the leg.
    await waitFor(() => leg.frames[0] && performance.now() >= leg.frames[0].at + 100, { everyMs: 5, what: '100 ms played' });
    const playedMs = performance.now() - leg.frames[0]!.at;
    ac.abort();
    const result = await playing;
    const first = leg.frames[0]!.at - t0;
    // At once: no round trip, just this loop's own lateness.
    expect(first).toBeLessThan(10 + lag.stop().stalledMs);
    expect(result.complete).toBe(false);
    // maxAheadMs keeps the leg's queue short even though the whole message (2.6 s) was available at
    // once: what played, plus what may be ahead (a 200 ms slice is pushed while at most 200 ms are
    // queued, tts-playback.ts), plus a frame.
    expect(leg.frames.length * 20).toBeLessThanOrEqual(playedMs + 2 * 200 + 20);
    console.log(`cached message: first frame to the caller after ${first.toFixed(2)} ms`);
  });
});
