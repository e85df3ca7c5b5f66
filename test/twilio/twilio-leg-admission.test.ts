import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { InboundAudio } from '../../src/call/call-leg.js';
import { MediaClock } from '../../sip/media/media-clock.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { TwilioLeg } from '../../src/twilio/twilio-leg.js';

/** The socket surface TwilioLeg uses; messages are injected as the ws library would deliver them. */
class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  send(): void {}
  close(): void {}
}

const start = {
  streamSid: 'MZ' + 'a'.repeat(32), callSid: 'CA' + 'b'.repeat(32), accountSid: 'AC' + 'c'.repeat(32),
  tracks: ['inbound'], customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
};
const frame = (timestamp: number) => JSON.stringify({
  event: 'media', streamSid: start.streamSid, media: { track: 'inbound', chunk: '1', timestamp: String(timestamp), payload: Buffer.alloc(160, 0xff).toString('base64') },
});

function leg(now: () => number) {
  const ws = new SocketDouble();
  const got: InboundAudio[] = [];
  const metrics = new Metrics();
  const l = new TwilioLeg(ws as unknown as WebSocket, start, { clock: new MediaClock(), leadMs: 200, log: createLogger('silent'), metrics, now });
  l.attach({ onAudio: (f) => got.push(f), onDtmf: () => undefined, onPlayed: () => undefined, onEnded: () => undefined });
  return { ws, got, metrics };
}

describe('TwilioLeg media admission', () => {
  it('keeps a burst of late frames after a stall of our own event loop (stamps lag wall time)', () => {
    let t = 0;
    const { ws, got } = leg(() => t);
    t = 5000; // 5 s stall: 250 frames were waiting in the socket
    for (let k = 0; k < 250; k++) ws.emit('message', frame(k * 20), false);
    expect(got).toHaveLength(250);
  });

  it('drops a flood whose stamps run ahead of wall time, and counts it', async () => {
    let t = 0;
    const { ws, got, metrics } = leg(() => t);
    t = 1000;
    for (let k = 0; k < 1000; k++) ws.emit('message', frame(k * 20), false); // 20 s of audio in no time
    // Allowed: up to 1 s of wall time + 2 s of slack = 150 frames.
    expect(got).toHaveLength(151);
    const dropped = (await metrics.droppedFrames.get()).values.find((v) => v.labels.cause === 'flood')?.value;
    expect(dropped).toBe(849);
  });
});
