import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaStreamCaller, type MediaStreamCallerOptions } from '../../tools/twilio-standin/media-stream-caller.js';
import { isSid } from '../../tools/twilio-standin/ids.js';
import { FakeBridge, level, sendClear, sendMark, sendMedia, ulawTone, type BridgeSocket } from './twilio-standin-fake-bridge.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const TOKEN = 'test-auth-token-0123456789abcdef';
const FRAME_MS = 20;

/** Until the stream's own clock (ms from its origin) reaches `ms`: spacing on the timeline the checks measure. */
const untilStreamTime = (c: MediaStreamCaller, ms: number): Promise<true> =>
  waitFor(() => c.nowMs() >= ms, { everyMs: 5, what: `stream time ${ms.toFixed(0)} ms` });

let bridge: FakeBridge;
const callers: MediaStreamCaller[] = [];

beforeEach(async () => {
  bridge = await new FakeBridge(TOKEN).listen();
});

afterEach(async () => {
  await Promise.all(callers.splice(0).map((c) => c.hangup()));
  await bridge.close();
});

function caller(opts: Partial<MediaStreamCallerOptions> = {}): MediaStreamCaller {
  const c = new MediaStreamCaller({ url: bridge.mediaUrl, authToken: TOKEN, ...opts });
  callers.push(c);
  return c;
}

/** Connects a caller and returns the bridge's side once `start` has arrived. */
async function connected(opts: Partial<MediaStreamCallerOptions> = {}): Promise<{ c: MediaStreamCaller; s: BridgeSocket; start: any }> {
  const got = new Promise<BridgeSocket>((r) => (bridge.onStream = r));
  const c = caller(opts);
  await c.ready;
  const s = await got;
  const start = await s.next('start');
  return { c, s, start };
}

describe('upgrade signature', () => {
  it('signs the exact ws URL with an empty param map, which validateRequest accepts', async () => {
    const { c } = await connected();
    expect(bridge.upgrades).toEqual([{ signatureValid: true, accepted: true }]);
    expect(c.isOpen).toBe(true);
  });

  it.each([
    ['wrong token', { authToken: 'not-the-token' }],
    ['wrong signature', { signature: 'wrong' as const }],
    ['missing signature', { signature: 'missing' as const }],
  ])('is refused with %s: closed reports 403 and ready rejects', async (_name, opts) => {
    const c = caller(opts);
    await expect(c.ready).rejects.toThrow(/403/);
    const closed = await c.closed;
    expect(closed).toMatchObject({ by: 'rejected', upgradeStatus: 403 });
    expect(bridge.upgrades[0]!.signatureValid).toBe(false);
  });
});

describe('handshake', () => {
  it('sends connected then start with the stream identity and custom parameters', async () => {
    const { c, s, start } = await connected({
      callSid: 'CA' + 'a'.repeat(32),
      accountSid: 'AC' + 'b'.repeat(32),
      customParameters: { sessionId: 's-1', direction: 'inbound' },
    });
    expect(s.messages[0]!.msg).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(start).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: c.streamSid,
      start: {
        accountSid: 'AC' + 'b'.repeat(32),
        streamSid: c.streamSid,
        callSid: 'CA' + 'a'.repeat(32),
        tracks: ['inbound'],
        customParameters: { sessionId: 's-1', direction: 'inbound' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    expect(isSid(c.streamSid, 'MZ')).toBe(true);
  });
});

describe('caller audio', () => {
  it('paces 1 s of speech in real time with string counters, then keeps sending silence', async () => {
    const speech = new Uint8Array(8000).map((_, i) => (i % 50) + 1);
    const loop = eventLoopDelay();
    const { c, s } = await connected({ audio: { ulaw: speech } });
    const mediaMessages = () => s.messages.filter((m) => m.msg.event === 'media');
    await waitFor(() => mediaMessages().length >= 60, { what: '60 media frames' });
    const lag = loop.stop();
    const media = mediaMessages();
    // Frame 0 and frame 49 bracket 980 ms of speech. Timed where they were sent: on arrival, a backlog
    // of work in this (shared) process adds to the timers' lateness.
    const elapsed = c.recorder.sentFrames[49]!.sentMs - c.recorder.sentFrames[0]!.sentMs;
    // Real time, not a burst (which would take ~1 ms): either end may be late by the event loop's
    // worst lateness, plus one frame period of clock granularity.
    expect(elapsed).toBeGreaterThan(980 - lag.maxMs - 20);
    expect(elapsed).toBeLessThan(980 + lag.maxMs + 20);
    media.slice(0, 60).forEach(({ msg }, k) => {
      expect(msg.sequenceNumber).toBe(String(k + 2)); // start was 1
      expect(msg.media).toMatchObject({ track: 'inbound', chunk: String(k + 1), timestamp: String(k * 20) });
      expect(msg.streamSid).toBe(c.streamSid);
    });
    const bytes = Buffer.concat(media.slice(0, 50).map((m) => Buffer.from(m.msg.media.payload, 'base64')));
    expect(bytes.equals(Buffer.from(speech))).toBe(true);
    const after = Buffer.from(media[55]!.msg.media.payload, 'base64');
    expect(after.length).toBe(160);
    expect(after.every((b) => b === 0xff)).toBe(true);
    expect(c.recorder.sentFrames[10]).toMatchObject({ index: 10, dueMs: 200, silence: false });
    expect(c.recorder.sentFrames[55]!.silence).toBe(true);
    // Drift-corrected: lateness does not accumulate (one late timer does not delay the rest), so no
    // frame is later than the loop's worst lateness plus one period, and the typical frame is about
    // as late as the typical timer.
    const late = c.recorder.sentFrames.map((f) => f.sentMs - f.dueMs);
    // (The first frames may wait on the handshake; what matters is that the last ones have caught up.)
    expect(Math.max(...late.slice(-10))).toBeLessThan(lag.maxMs + 20);
    const median = [...late].sort((a, b) => a - b)[late.length >> 1]!;
    expect(median).toBeLessThan(lag.p50Ms + 10);
  });

  it('stops sending once the speech ends when told to, and plays queued clips in order', async () => {
    const { c, s } = await connected({ audio: { ulaw: new Uint8Array(320).fill(1) }, keepStreaming: false });
    const second = c.play({ pcm8k: new Int16Array(160) }); // μ-law of 0 is 0xff
    await second;
    const mediaMessages = () => s.messages.filter((m) => m.msg.event === 'media');
    await waitFor(() => mediaMessages().length >= 3, { what: '3 media frames' });
    // Nothing more once the queue is empty: a frame clock still running would have sent 5 more by the
    // time the stream's clock is 5 periods past the last frame; a DTMF sent after that arrives after them.
    await untilStreamTime(c, c.recorder.sentFrames.at(-1)!.dueMs + 5 * FRAME_MS);
    c.sendDtmf('1');
    await s.next('dtmf');
    const media = mediaMessages();
    expect(media).toHaveLength(3);
    expect(Buffer.from(media[2]!.msg.media.payload, 'base64').every((b) => b === 0xff)).toBe(true);
  });

  it('sends dtmf and raw frames, and hangup sends stop then closes', async () => {
    const { c, s } = await connected();
    c.sendDtmf('5');
    c.sendRaw('{"event":"nonsense"');
    const dtmf = await s.next('dtmf');
    expect(dtmf).toMatchObject({ event: 'dtmf', streamSid: c.streamSid, dtmf: { digit: '5', track: 'inbound_track' } });
    expect(typeof dtmf.sequenceNumber).toBe('string');
    const closedAtBridge = new Promise<number>((r) => s.ws.once('close', (code) => r(code)));
    const closed = await c.hangup();
    expect(closed).toMatchObject({ by: 'caller', code: 1000 });
    const stop = await s.next('stop');
    expect(stop.stop).toEqual({ accountSid: c.accountSid, callSid: c.callSid });
    expect(await closedAtBridge).toBe(1000);
    expect(await s.next('#raw')).toEqual({ event: '#raw', text: '{"event":"nonsense"' });
  });
});

describe('playout of bridge audio (Twilio semantics, §2.3)', () => {
  it('echoes a mark only after the audio queued before it has played', async () => {
    const { c, s } = await connected();
    const loop = eventLoopDelay();
    const t0 = performance.now();
    sendMedia(s, c.streamSid, ulawTone(500));
    sendMark(s, c.streamSid, 'after-500ms');
    const echo = await s.next('mark');
    const waited = performance.now() - t0;
    const lag = loop.stop();
    expect(echo).toMatchObject({ event: 'mark', streamSid: c.streamSid, mark: { name: 'after-500ms' } });
    expect(typeof echo.sequenceNumber).toBe('string');
    // Never early (the audio reaches the stand-in after t0); late by at most the loop's lateness
    // (the echo timer, and the hops both ways) plus a few ms of loopback.
    expect(waited).toBeGreaterThan(500 - 5);
    expect(waited).toBeLessThan(500 + 3 * lag.maxMs + 20);
    expect(c.recorder.markEchoes).toEqual([expect.objectContaining({ name: 'after-500ms', flushed: false })]);
  });

  it('echoes a mark at once when nothing is queued', async () => {
    const { c, s } = await connected();
    const loop = eventLoopDelay();
    const t0 = performance.now();
    sendMark(s, c.streamSid, 'idle');
    await s.next('mark');
    const waited = performance.now() - t0;
    // A round trip on loopback with no timer in between: well under one frame, plus what the loop lagged.
    expect(waited).toBeLessThan(2 * loop.stop().maxMs + 20);
  });

  it('clear drops unplayed audio and echoes every pending mark immediately', async () => {
    const { c, s } = await connected();
    sendMedia(s, c.streamSid, ulawTone(1000));
    sendMark(s, c.streamSid, 'a');
    sendMedia(s, c.streamSid, ulawTone(1000));
    sendMark(s, c.streamSid, 'b');
    await c.recorder.waitFor((r) => r.event === 'mark' && r.name === 'b');
    // Let 300 ms of the audio play: the clear must cut mid-playout.
    const playing = c.recorder.received.find((r) => r.event === 'media') as { playStartMs: number };
    await untilStreamTime(c, playing.playStartMs + 300);
    const loop = eventLoopDelay();
    const tClear = performance.now();
    sendClear(s, c.streamSid);
    const a = await s.next('mark');
    const b = await s.next('mark');
    // Immediately: a loopback round trip with no timer in between.
    expect(performance.now() - tClear).toBeLessThan(2 * loop.stop().maxMs + 20);
    expect([a.mark.name, b.mark.name]).toEqual(['a', 'b']);
    expect(c.recorder.markEchoes.map((m) => m.flushed)).toEqual([true, true]);
    const clear = c.recorder.received.find((r) => r.event === 'clear');
    expect(clear).toMatchObject({ event: 'clear' });
    // What was dropped is what had not played: 2 s queued minus the time played before the clear.
    const first = c.recorder.received.find((r) => r.event === 'media') as { playStartMs: number };
    expect((clear as { droppedMs: number }).droppedMs).toBeCloseTo(2000 - (clear!.atMs - first.playStartMs), -1);
    expect(c.queuedMs).toBe(0);
    const clearAt = clear!.atMs;
    await untilStreamTime(c, clearAt + 200); // the recording must run on past the clear to show the silence after it
    const heard = c.heardPcm();
    // Tone from its arrival until the clear, silence after it.
    expect(level(heard, first.playStartMs + 1, clearAt - 20)).toBeGreaterThan(30_000);
    expect(level(heard, clearAt + 5, heard.length / 8)).toBe(0);
  });

  it('records what the caller heard at the right time offsets', async () => {
    const { c, s } = await connected();
    const loop = eventLoopDelay();
    // The waits only space the sends on the stream's clock (silence before, a gap between); the checks
    // use the measured send and arrival times.
    await untilStreamTime(c, 200);
    const sent1 = c.nowMs();
    sendMedia(s, c.streamSid, ulawTone(300));
    await untilStreamTime(c, sent1 + 700);
    const sent2 = c.nowMs();
    sendMedia(s, c.streamSid, ulawTone(100));
    sendMedia(s, c.streamSid, ulawTone(100)); // queued behind the first: plays back to back
    await c.recorder.waitFor(() => c.recorder.counts().mediaMessages === 3);
    // The recording runs on past the audio (which ends 200 ms after the second's start), to show the silence after it.
    const secondStart = (c.recorder.received.filter((r) => r.event === 'media')[1] as { playStartMs: number }).playStartMs;
    await untilStreamTime(c, secondStart + 200 + 200);
    await c.hangup();
    const lag = loop.stop().maxMs;
    const heard = c.heardPcm();
    const media = c.recorder.received.filter((r) => r.event === 'media') as Array<{ atMs: number; playStartMs: number; bytes: number }>;
    expect(media).toHaveLength(3);
    // Playing starts on arrival: the playout reads the clock again a moment after the arrival time was
    // taken, later by at most a stall of this process in between.
    expect(media[0]!.playStartMs).toBeGreaterThanOrEqual(media[0]!.atMs);
    expect(media[0]!.playStartMs - media[0]!.atMs).toBeLessThanOrEqual(lag + 1);
    expect(media[2]!.playStartMs).toBeCloseTo(media[1]!.playStartMs + 100, 5);
    const [first, second] = [media[0]!.playStartMs, media[1]!.playStartMs];
    // Playing starts on arrival: after the send, by no more than a loopback hop the loop may delay.
    expect(first).toBeGreaterThanOrEqual(sent1);
    expect(first).toBeLessThan(sent1 + lag + 10);
    expect(second).toBeGreaterThanOrEqual(sent2);
    expect(second).toBeLessThan(sent2 + lag + 10);
    expect(second - first).toBeGreaterThan(300); // a gap of silence between the two
    expect(level(heard, 0, first - 1)).toBe(0);
    expect(level(heard, first + 1, first + 299)).toBeGreaterThan(30_000);
    expect(level(heard, first + 301, second - 1)).toBe(0);
    expect(level(heard, second + 1, second + 199)).toBeGreaterThan(30_000);
    expect(level(heard, second + 201, heard.length / 8)).toBe(0);
    expect(heard.length / 8).toBeGreaterThan(second + 200);
    // One arrival per 160-byte frame: 15 + 5 + 5.
    const arrivals = c.recorder.heardFrameArrivals();
    expect(arrivals).toHaveLength(25);
    expect(arrivals[14]).toBe(media[0]!.atMs);
    expect(arrivals[24]).toBe(media[2]!.atMs);
  });

  it('counts bad messages from the bridge and ignores another stream', async () => {
    const { c, s } = await connected();
    s.ws.send('not json');
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    s.ws.send(JSON.stringify({ event: 'media', streamSid: 'MZ-someone-else', media: { payload: 'AAAA' } }));
    sendMedia(s, c.streamSid, new Uint8Array(100));
    s.ws.send(JSON.stringify({ event: 'media', streamSid: c.streamSid, media: { payload: '!!notbase64' } }));
    s.ws.send(JSON.stringify({ event: 'mark', streamSid: c.streamSid }));
    s.ws.send(JSON.stringify({ event: 'dtmf', streamSid: c.streamSid, dtmf: { digit: '1' } }));
    // A good mark after them all, on the same socket: once it is in, everything before it was read.
    sendMark(s, c.streamSid, 'last');
    await c.recorder.waitFor((r) => r.event === 'mark' && r.name === 'last');
    expect(c.recorder.problems.map((p) => p.kind)).toEqual([
      'not_json',
      'binary_frame',
      'wrong_stream_sid',
      'payload_not_frame_multiple',
      'bad_base64',
      'missing_field',
      'unknown_event',
    ]);
    // The odd-sized payload is still played (Twilio accepts any size); the foreign one is not.
    expect(c.recorder.counts()).toMatchObject({ mediaMessages: 1, mediaBytes: 100, problems: 7 });
  });

  it('reports a close by the bridge, stops sending and stops echoing', async () => {
    const { c, s } = await connected();
    sendMedia(s, c.streamSid, ulawTone(1000));
    sendMark(s, c.streamSid, 'never');
    await c.recorder.waitFor((r) => r.event === 'mark');
    s.ws.close(1000, 'agent done');
    const closed = await c.closed;
    expect(closed).toMatchObject({ by: 'bridge', code: 1000, reason: 'agent done' });
    const sent = c.recorder.sentFrames.length;
    // Until the mark would have been due (its 1 s of audio played) and 5 frame periods more, on the
    // stream's clock: a frame clock still running would have sent 5 frames, a live playout echoed it.
    const media = c.recorder.received.find((r) => r.event === 'media') as { playStartMs: number };
    await untilStreamTime(c, Math.max(media.playStartMs + 1000, closed.atMs) + 5 * FRAME_MS);
    expect(c.recorder.sentFrames.length).toBe(sent);
    expect(c.recorder.markEchoes).toEqual([]);
    expect(c.heardPcm().length / 8).toBeCloseTo(closed.atMs, -1);
  });
});
