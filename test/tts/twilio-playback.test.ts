/**
 * TTS through the real Twilio leg: the bridge side is a `TwilioLeg` (its pacer,
 * its marks) on a real WebSocket; the phone side plays media in real time and
 * echoes each mark once the audio before it has played, as Twilio does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { MediaClock } from '../../sip/media/media-clock.js';
import { Metrics } from '../../src/metrics.js';
import { TwilioLeg } from '../../src/twilio/twilio-leg.js';
import { ElevenLabsTts } from '../../src/tts/elevenlabs-tts.js';
import { TtsCache } from '../../src/tts/tts-cache.js';
import { TtsPlayback } from '../../src/tts/tts-playback.js';
import { TtsService } from '../../src/tts/tts-service.js';
import { synthesizeAudio } from '../../tools/tts-standin/standin-audio.js';
import { TtsStandIn } from '../../tools/tts-standin/tts-standin.js';

const TEXT = 'Your parcel will be delivered today.';

/** The phone end of a Twilio media stream: real-time playout, marks echoed when reached. */
class TwilioPhone {
  readonly media: { bytes: Buffer; at: number }[] = [];
  private playEnd = 0;
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => this.onMessage(JSON.parse(raw.toString()) as { event: string; media?: { payload: string }; mark?: { name: string } }));
  }
  private onMessage(msg: { event: string; media?: { payload: string }; mark?: { name: string } }): void {
    const now = performance.now();
    if (msg.event === 'media') {
      this.media.push({ bytes: Buffer.from(msg.media!.payload, 'base64'), at: now });
      this.playEnd = Math.max(this.playEnd, now) + 20;
    } else if (msg.event === 'mark') {
      const name = msg.mark!.name;
      setTimeout(() => this.ws.send(JSON.stringify({ event: 'mark', streamSid: 'MZ1', mark: { name } })), Math.max(0, this.playEnd - now));
    } else if (msg.event === 'clear') {
      this.playEnd = now;
    }
  }
}

describe('TTS playback through the Twilio leg (pacer and marks)', () => {
  let server: Server;
  let standIn: TtsStandIn;
  let leg: TwilioLeg;
  let phone: TwilioPhone;
  const clock = new MediaClock();

  beforeAll(async () => {
    standIn = await TtsStandIn.start({ apiKey: 'k', firstChunkDelayMs: 30, chunkDelayMs: 40 });
    server = createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const bridgeSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const phoneWs = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    phone = new TwilioPhone(phoneWs);
    const ws = await bridgeSide;
    const start = { streamSid: 'MZ1', callSid: 'CA1', accountSid: 'AC1', tracks: ['inbound'], customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } };
    leg = new TwilioLeg(ws, start, { clock, leadMs: 200, log: pino({ level: 'silent' }), metrics: new Metrics() });
  });
  afterAll(async () => {
    await standIn.close();
    server.closeAllConnections();
    server.close();
  });

  it('starts on the first chunk, leaves at real-time pace, and resolves on the echoed mark', async () => {
    const tts = new TtsService({
      engine: new ElevenLabsTts({ apiUrl: standIn.url, apiKey: 'k', voiceId: 'v', modelId: 'eleven_flash_v2_5', timeoutMs: 3000 }),
      cache: new TtsCache({ maxBytes: 1 << 20 }),
    });
    const playback = new TtsPlayback(leg, { law: leg.codec });
    leg.attach({ onAudio: () => undefined, onDtmf: () => undefined, onEnded: () => undefined, onPlayed: (l) => playback.onPlayed(l) });
    const t0 = performance.now();
    const result = await playback.play(tts.stream(TEXT, { encoding: leg.codec }));
    const done = performance.now() - t0;

    const expected = synthesizeAudio(TEXT, 'ulaw', 'tone');
    const heard = Buffer.concat(phone.media.map((m) => m.bytes));
    expect(heard.subarray(0, expected.length).equals(Buffer.from(expected))).toBe(true);
    expect(result).toEqual({ playedMs: phone.media.length * 20, complete: true });
    const firstMs = phone.media[0]!.at - t0;
    expect(phone.media[0]!.at).toBeLessThan(standIn.syntheses[0]!.finalAt!);
    // Paced: the last frame leaves no earlier than (duration − lead) after the first.
    const span = phone.media.at(-1)!.at - phone.media[0]!.at;
    expect(span).toBeGreaterThan(result.playedMs - 200 - 60);
    expect(done).toBeGreaterThanOrEqual(result.playedMs);
    console.log(`twilio leg: first media to the phone ${firstMs.toFixed(1)} ms after the request, ` +
      `${result.playedMs} ms message, play() resolved at ${done.toFixed(0)} ms (on the mark echo)`);
  });
});
