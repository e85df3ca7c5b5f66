import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { mulawToPcm } from '../../media/g711.js';
import { EspeakTts } from '../../src/tts/espeak-tts.js';
import { TtsCache } from '../../src/tts/tts-cache.js';
import { TtsError } from '../../src/tts/tts-engine.js';
import { TtsPlayback } from '../../src/tts/tts-playback.js';
import { TtsService } from '../../src/tts/tts-service.js';
import { speechWav } from '../support/audio-tools.js';
import { dbfs, normalizedCrossCorrelation } from '../support/signal.js';
import { missingToolsReason } from '../support/tools.js';
import { RealTimeLeg } from './fake-leg.js';
import { eventLoopDelay } from '../support/wait.js';

const skip = missingToolsReason(['espeak-ng', 'sox']);
const MESSAGE = 'Hello. This is a message from your pharmacy: your prescription is ready for pickup.';
const LONG = Array.from({ length: 30 }, (_, i) => `This is sentence number ${i + 1} of a rather long broadcast message.`).join(' ');

function decode(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length);
  mulawToPcm(bytes, pcm);
  return pcm;
}

describe.skipIf(skip)(`espeak-ng engine ${skip ?? ''}`, () => {
  const engine = new EspeakTts({ voice: 'en-us', timeoutMs: 5000 });

  it('a real spoken message reaches the simulated caller: duration matches, energy present, same speech as sox', async () => {
    const service = new TtsService({ engine, cache: new TtsCache({ maxBytes: 1 << 20 }), defaults: { voiceId: 'en-us' } });
    const leg = new RealTimeLeg();
    const playback = new TtsPlayback(leg, { law: 'ulaw' });
    leg.onPlayed = (l) => playback.onPlayed(l);
    const t0 = performance.now();
    const result = await playback.play(service.stream(MESSAGE, { encoding: 'ulaw' }));
    const firstFrameMs = leg.frames[0]!.at - t0;

    // Reference: the same espeak-ng speech (175 wpm, its default) converted by sox to 8 kHz.
    const reference = speechWav(MESSAGE, { rate: 8000, wpm: 175 });
    const heard = decode(leg.bytes());
    expect(result.complete).toBe(true);
    expect(result.playedMs).toBe(leg.frames.length * 20);
    expect(Math.abs(heard.length - reference.length)).toBeLessThanOrEqual(160); // within one frame (the padding)

    const frameLevels = Array.from({ length: leg.frames.length }, (_, i) => dbfs(heard, i * 160, i * 160 + 160));
    const voiced = frameLevels.filter((db) => db > -40).length / frameLevels.length;
    expect(dbfs(heard)).toBeGreaterThan(-30);
    expect(voiced).toBeGreaterThan(0.4);
    const { corr } = normalizedCrossCorrelation(reference, heard.subarray(0, reference.length), 40);
    expect(corr).toBeGreaterThan(0.9);
    console.log(`espeak-ng: ${(heard.length / 8000).toFixed(2)} s of speech (sox reference ${(reference.length / 8000).toFixed(2)} s), ` +
      `first frame to the caller after ${firstFrameMs.toFixed(1)} ms, ${(voiced * 100).toFixed(0)}% voiced frames, ` +
      `level ${dbfs(heard).toFixed(1)} dBFS, correlation with sox ${corr.toFixed(3)}`);
  });

  it('streams: the first audio comes long before espeak-ng has finished a long message', async () => {
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    for await (const chunk of engine.synthesize({ text: LONG, encoding: 'alaw' }, new AbortController().signal)) {
      first ||= performance.now() - t0;
      bytes += chunk.length;
    }
    const total = performance.now() - t0;
    expect(bytes / 8000).toBeGreaterThan(60);
    expect(first).toBeLessThan(total * 0.6);
    console.log(`espeak-ng long message: first audio ${first.toFixed(1)} ms, all ${(bytes / 8000).toFixed(0)} s of audio in ${total.toFixed(0)} ms`);
  });

  it('an abort ends the synthesis at once', async () => {
    const ac = new AbortController();
    const lag = eventLoopDelay();
    const t0 = performance.now();
    const err = await (async () => {
      for await (const _ of engine.synthesize({ text: LONG, encoding: 'ulaw' }, ac.signal)) ac.abort();
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    // At once: well under a second, later only by as much as this process's event loop stalled.
    expect(performance.now() - t0).toBeLessThan(1000 + lag.stop().stalledMs);
  });

  it('a bad voice is a clear engine_failed error', async () => {
    const bad = engine.synthesize({ text: 'hi', voiceId: 'xx-nonexistent', encoding: 'ulaw' }, new AbortController().signal);
    await expect((async () => { for await (const _ of bad); })()).rejects.toMatchObject({ code: 'engine_failed' });
  });
});

describe('espeak-ng missing', () => {
  it('is a clear engine_missing error naming the package', async () => {
    const engine = new EspeakTts({ command: 'espeak-ng-not-installed', voice: 'en-us', timeoutMs: 2000 });
    const err = await (async () => {
      for await (const _ of engine.synthesize({ text: 'hi', encoding: 'ulaw' }, new AbortController().signal));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsError);
    expect(err).toMatchObject({ code: 'engine_missing' });
    expect((err as Error).message).toContain('apt-get install espeak-ng');
  });
});
