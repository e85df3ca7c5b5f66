import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_SILENCE, MULAW_SILENCE } from '../../media/g711.js';
import { ElevenLabsTts, type ElevenLabsTtsOptions } from '../../src/tts/elevenlabs-tts.js';
import { ElevenLabsHttpTts } from '../../src/tts/elevenlabs-tts-http.js';
import { TtsError, type TtsRequest } from '../../src/tts/tts-engine.js';
import { TtsPlayback } from '../../src/tts/tts-playback.js';
import { synthesizeAudio } from '../../tools/tts-standin/standin-audio.js';
import { TtsStandIn } from '../../tools/tts-standin/tts-standin.js';
import { RealTimeLeg } from './fake-leg.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const KEY = 'xi-test-key';
const TEXT = 'Hello, this is a reminder that your appointment is tomorrow at nine.';
let standIn: TtsStandIn;

beforeAll(async () => {
  standIn = await TtsStandIn.start({ apiKey: KEY, chunkBytes: 800, firstChunkDelayMs: 30, chunkDelayMs: 40 });
});
afterAll(() => standIn.close());
afterEach(() => {
  standIn.mode = 'normal';
  standIn.syntheses.length = 0;
  standIn.requests.length = 0;
  standIn.violations.length = 0;
});

function engine(extra: Partial<ElevenLabsTtsOptions> = {}): ElevenLabsTts {
  const base = { apiUrl: standIn.url, apiKey: KEY, voiceId: 'voice_1', modelId: 'eleven_flash_v2_5', timeoutMs: 2000 };
  return new ElevenLabsTts({ ...base, fallback: new ElevenLabsHttpTts(base), ...extra });
}

async function playTo(leg: RealTimeLeg, e: ElevenLabsTts, req: TtsRequest, signal = new AbortController().signal) {
  const playback = new TtsPlayback(leg, { law: req.encoding });
  leg.onPlayed = (label) => playback.onPlayed(label);
  const started = performance.now();
  const result = await playback.play(e.synthesize(req, signal), signal);
  return { result, started };
}

/** Frames without the silence padding of the last one. */
function heard(leg: RealTimeLeg, length: number): Uint8Array {
  return leg.bytes().subarray(0, length);
}

describe('ElevenLabs stream-input client against the local stand-in', () => {
  it('plays the audio frames in order, starting before the synthesis finished', async () => {
    const leg = new RealTimeLeg();
    const { result, started } = await playTo(leg, engine(), { text: TEXT, encoding: 'ulaw', voiceSettings: { stability: 0.4 } });
    const expected = synthesizeAudio(TEXT, 'ulaw', 'tone');
    const rec = standIn.syntheses[0]!;

    expect(standIn.violations).toEqual([]);
    expect(rec).toMatchObject({ transport: 'ws', voiceId: 'voice_1', modelId: 'eleven_flash_v2_5', outputFormat: 'ulaw_8000', text: TEXT, outcome: 'final' });
    expect(rec.voiceSettings).toEqual({ stability: 0.4 });
    expect(standIn.requests[0]!.apiKey).toBe(KEY);
    expect(standIn.requests[0]!.url).toContain('inactivity_timeout=20');
    expect(rec.chunksSent).toBeGreaterThan(5);

    expect(leg.frames.every((f) => f.bytes.length === 160)).toBe(true);
    expect(Buffer.from(heard(leg, expected.length)).equals(Buffer.from(expected))).toBe(true);
    expect([...leg.bytes().subarray(expected.length)].every((b) => b === MULAW_SILENCE)).toBe(true);
    expect(leg.frames[0]!.at).toBeLessThan(rec.finalAt!);
    expect(result).toEqual({ playedMs: leg.frames.length * 20, complete: true });
    console.log(`stand-in: first frame to the caller ${(leg.frames[0]!.at - started).toFixed(1)} ms after the request ` +
      `(stand-in model delay 30 ms), final message at ${(rec.finalAt! - started).toFixed(0)} ms`);
  });

  it('asks for alaw_8000 for an A-law leg and accepts is_final', async () => {
    const s = await TtsStandIn.start({ apiKey: KEY, finalKey: 'is_final', chunkDelayMs: 5 });
    try {
      const leg = new RealTimeLeg();
      const e = new ElevenLabsTts({ apiUrl: s.url, apiKey: KEY, voiceId: 'v', modelId: 'm', timeoutMs: 2000 });
      const { result } = await playTo(leg, e, { text: 'Guten Tag.', encoding: 'alaw' });
      const expected = synthesizeAudio('Guten Tag.', 'alaw', 'tone');
      expect(s.syntheses[0]!.outputFormat).toBe('alaw_8000');
      expect(Buffer.from(heard(leg, expected.length)).equals(Buffer.from(expected))).toBe(true);
      expect(leg.bytes().at(-1)).toBe(ALAW_SILENCE);
      expect(result.complete).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('an error mid-stream (message, then close 1011) ends the message cleanly after the audio that came', async () => {
    standIn.mode = 'error-mid-stream'; // after 2 chunks
    const leg = new RealTimeLeg();
    const { result } = await playTo(leg, engine(), { text: TEXT, encoding: 'ulaw' });
    const rec = standIn.syntheses[0]!;
    expect(rec.outcome).toBe('error');
    expect(result.complete).toBe(false);
    expect(result.error).toBeInstanceOf(TtsError);
    expect((result.error as TtsError).code).toBe('server_error');
    // What arrived was played, padded to whole frames, and its end mark was confirmed.
    expect(leg.frames.length).toBe(Math.ceil(rec.bytesSent / 160));
    expect(result.playedMs).toBe(leg.frames.length * 20);
    expect(leg.marks).toHaveLength(1);
    expect(Buffer.from(heard(leg, rec.bytesSent)).equals(Buffer.from(synthesizeAudio(TEXT, 'ulaw', 'tone').subarray(0, rec.bytesSent)))).toBe(true);
  });

  it('maps a 1008 close to invalid_api_key and does not fall back', async () => {
    const e = engine({ apiKey: 'wrong' });
    const err = await drain(e, { text: 'Hi', encoding: 'ulaw' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TtsError);
    expect(err).toMatchObject({ code: 'invalid_api_key', closeCode: 1008 });
    expect(standIn.requests.filter((r) => r.transport === 'http')).toHaveLength(0);
  });

  it('falls back to HTTP streaming when the socket cannot be opened', async () => {
    standIn.mode = 'refuse-upgrade';
    const chunks = await drain(engine(), { text: TEXT, encoding: 'ulaw' });
    expect(standIn.syntheses.map((s) => s.transport)).toEqual(['http']);
    expect(standIn.syntheses[0]).toMatchObject({ modelId: 'eleven_flash_v2_5', voiceId: 'voice_1' });
    expect(Buffer.concat(chunks).equals(Buffer.from(synthesizeAudio(TEXT, 'ulaw', 'tone')))).toBe(true);
    expect(chunks.length).toBeGreaterThan(1); // streamed, not one body

    const noFallback = engine({ fallback: undefined });
    await expect(drain(noFallback, { text: 'Hi', encoding: 'ulaw' })).rejects.toMatchObject({ code: 'connect_failed' });
  });

  it('HTTP streaming: 401 becomes invalid_api_key; a cut body ends with connection_lost after the audio that came', async () => {
    const base = { apiUrl: standIn.url, voiceId: 'v', modelId: 'm', timeoutMs: 2000 };
    await expect(drain(new ElevenLabsHttpTts({ ...base, apiKey: 'nope' }), { text: 'Hi', encoding: 'ulaw' }))
      .rejects.toMatchObject({ code: 'invalid_api_key', httpStatus: 401 });
    standIn.mode = 'error-mid-stream';
    const got: Uint8Array[] = [];
    const err = await drain(new ElevenLabsHttpTts({ ...base, apiKey: KEY }), { text: TEXT, encoding: 'ulaw' }, got).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'connection_lost' });
    expect(Buffer.concat(got).length).toBe(standIn.syntheses[0]!.bytesSent);
  });

  it('times out when the server goes quiet', async () => {
    standIn.mode = 'stall';
    const lag = eventLoopDelay();
    const t0 = performance.now();
    await expect(drain(engine({ timeoutMs: 300 }), { text: 'Hi', encoding: 'ulaw' })).rejects.toMatchObject({ code: 'timeout' });
    // The 300 ms timeout with room for the connection, later only by as much as this loop stalled.
    expect(performance.now() - t0).toBeLessThan(1500 + lag.stop().stalledMs);
  });

  it('an abort stops playback, clears the leg and closes the socket; the heard part is reported', async () => {
    const leg = new RealTimeLeg();
    const ac = new AbortController();
    const lag = eventLoopDelay();
    // Abort once 150 ms of the speech have played at the leg (its first frame plays on arrival).
    void waitFor(() => leg.frames[0] && performance.now() >= leg.frames[0].at + 150, { everyMs: 5, what: '150 ms played' }).then(() => ac.abort());
    const { result } = await playTo(leg, engine(), { text: TEXT, encoding: 'ulaw' }, ac.signal);
    expect(result.complete).toBe(false);
    expect(leg.clears).toBe(1);
    // About the 150 ms played: a frame either way, later by as much as the loop stalled.
    expect(result.playedMs).toBeGreaterThan(80);
    expect(result.playedMs).toBeLessThan(260 + lag.stop().stalledMs);
    // The stand-in sees the socket gone (closed by the abort) when it next sends.
    await waitFor(() => standIn.syntheses[0]!.outcome, { what: 'synthesis outcome' });
    expect(standIn.syntheses[0]!.outcome).toBe('client-gone');
  });
});

async function drain(e: { synthesize(r: TtsRequest, s: AbortSignal): AsyncIterable<Uint8Array> }, req: TtsRequest, into: Uint8Array[] = []) {
  for await (const c of e.synthesize(req, new AbortController().signal)) into.push(c);
  return into;
}
