import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { MediaClock } from '../../sip/media/media-clock.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { TwilioLeg } from '../../src/twilio/twilio-leg.js';

/** The socket surface TwilioLeg uses; what it sends is kept. */
class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {}
}

const SID = 'MZ' + 'a'.repeat(32);
const start = {
  streamSid: SID, callSid: 'CA' + 'b'.repeat(32), accountSid: 'AC' + 'c'.repeat(32),
  tracks: ['inbound'], customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
};
const frame = (seed: number): Buffer => Buffer.from(Array.from({ length: 160 }, (_, i) => (seed * 97 + i * 13) & 0xff));

describe('TwilioLeg sending audio', () => {
  it('a frame given as base64 goes on the wire and to the wire tap exactly as the same frame given as bytes', () => {
    const ws = new SocketDouble();
    let t = 0;
    const leg = new TwilioLeg(ws as unknown as WebSocket, start, { clock: new MediaClock(), leadMs: 200, log: createLogger('silent'), metrics: new Metrics(), now: () => t });
    const tapped: Buffer[] = [];
    leg.setWireTap({ received: () => undefined, sent: (f) => tapped.push(Buffer.from(f)), played: () => undefined, cleared: () => undefined });
    const frames = [frame(1), frame(2), frame(3), frame(4)];
    leg.sendAudio(frames[0]!);
    leg.sendAudioBase64(frames[1]!.toString('base64'));
    leg.sendAudio(frames[2]!);
    leg.sendAudioBase64(frames[3]!.toString('base64'));
    t += 1000; // past the lead: all four have left
    leg.sendAudio(frame(5));
    // With a wire tap every frame is followed by a recording probe mark; the media messages are compared.
    expect(ws.sent.filter((m) => m.startsWith('{"event":"media"')).slice(0, 4)).toEqual(frames.map((f) => JSON.stringify({ event: 'media', streamSid: SID, media: { payload: f.toString('base64') } })));
    expect(tapped.slice(0, 4)).toEqual(frames);
  });
});
