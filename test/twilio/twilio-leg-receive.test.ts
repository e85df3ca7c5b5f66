import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { parseAudioFormat } from '../../media/audio-format.js';
import type { InboundAudio } from '../../src/call/call-leg.js';
import { Uplink } from '../../src/call/audio-path.js';
import { MediaClock } from '../../sip/media/media-clock.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { TwilioLeg } from '../../src/twilio/twilio-leg.js';

/** The socket surface TwilioLeg uses; messages are injected as Buffers, as `ws` delivers text frames. */
class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  send(): void {}
  close(): void {}
}

const SID = 'MZ' + 'a'.repeat(32);
const start = {
  streamSid: SID, callSid: 'CA' + 'b'.repeat(32), accountSid: 'AC' + 'c'.repeat(32),
  tracks: ['inbound'], customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
};
/** A media message as Twilio serialises it (compact, its field order: the parser's fast path). */
const asSent = (payload: string, k: number): Buffer =>
  Buffer.from(`{"event":"media","sequenceNumber":"${k + 2}","media":{"track":"inbound","chunk":"${k + 1}","timestamp":"${k * 20}","payload":"${payload}"},"streamSid":"${SID}"}`);
/** The same message in another spelling (spaces, other field order): the parser's general path. */
const respelled = (payload: string, k: number): Buffer =>
  Buffer.from(JSON.stringify({ streamSid: SID, event: 'media', media: { payload, timestamp: String(k * 20), track: 'inbound' } }, null, 1));

function leg() {
  const ws = new SocketDouble();
  const got: InboundAudio[] = [];
  const metrics = new Metrics();
  const l = new TwilioLeg(ws as unknown as WebSocket, start, { clock: new MediaClock(), leadMs: 200, log: createLogger('silent'), metrics, now: () => 1e6 });
  l.attach({ onAudio: (f) => got.push(f), onDtmf: () => undefined, onPlayed: () => undefined, onEnded: () => undefined });
  return { ws, got, metrics };
}

let seed = 7;
function randomFrame(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    b[i] = seed >>> 24;
  }
  return b;
}

describe('TwilioLeg receiving caller audio (base64 kept, bytes decoded on first use)', () => {
  it('the frame carries Twilio\'s text, and its bytes are those the text stands for, on either parse path', () => {
    const { ws, got } = leg();
    // 160 bytes (Twilio's frame) and lengths ending in each padding case.
    const frames = [randomFrame(160), randomFrame(159), randomFrame(158), randomFrame(1), randomFrame(8000)];
    frames.forEach((f, k) => ws.emit('message', asSent(f.toString('base64'), k), false));
    frames.forEach((f, k) => ws.emit('message', respelled(f.toString('base64'), frames.length + k), false));
    expect(got).toHaveLength(frames.length * 2);
    got.forEach((g, i) => {
      const f = frames[i % frames.length]!;
      expect(g.base64).toBe(f.toString('base64'));
      expect(Buffer.from(g.payload)).toEqual(f);
    });
  });

  it('a μ-law agent gets Twilio\'s text as is: the same text the decode-and-re-encode path sends, frame for frame', () => {
    const { ws, got } = leg();
    const frames = Array.from({ length: 100 }, () => randomFrame(160)); // stamps up to 1.98 s: within the flood gate's slack
    frames.forEach((f, k) => ws.emit('message', asSent(f.toString('base64'), k), false));
    const uplink = new Uplink('ulaw', parseAudioFormat('ulaw_8000'));
    const relayed = got.map((g) => uplink.toAgent(g));
    // The path without the text: the decoded bytes encoded again.
    const reencoded = got.map((g) => uplink.toAgent({ payload: Buffer.from(g.payload) }));
    expect(relayed).toEqual(reencoded);
    expect(relayed).toEqual(frames.map((f) => f.toString('base64')));
    // Relaying never needed the bytes: a frame the agent took as is was still decodable afterwards, unchanged.
    expect(Buffer.from(got[0]!.payload)).toEqual(frames[0]);
  });

  it('a transcoding agent (pcm_16000) hears the same audio from a lazily decoded frame as from its bytes', () => {
    const { ws, got } = leg();
    const frames = Array.from({ length: 20 }, () => randomFrame(160));
    frames.forEach((f, k) => ws.emit('message', asSent(f.toString('base64'), k), false));
    const a = new Uplink('ulaw', parseAudioFormat('pcm_16000'));
    const b = new Uplink('ulaw', parseAudioFormat('pcm_16000'));
    expect(got.map((g) => a.toAgent(g))).toEqual(frames.map((f) => b.toAgent({ payload: f })));
  });

  it('rejects and counts payloads that are not base64 or of no usable size, on either parse path, and delivers none of them', async () => {
    const { ws, got, metrics } = leg();
    const bad: Array<[string, string]> = [
      ['not base64!', 'invalid-payload'],
      ['AQ=', 'invalid-payload'], // length not a multiple of 4
      ['AAA', 'invalid-payload'],
      ['AAAAA==', 'invalid-payload'],
      ['AA=A', 'invalid-payload'], // '=' inside
      ['A===', 'invalid-payload'],
      ['AQ-_', 'invalid-payload'], // url-safe alphabet
      ['AQ\\nID', 'invalid-payload'], // a JSON-escaped newline inside the text
      ['', 'bad-payload-size'],
      [randomFrame(8001).toString('base64'), 'bad-payload-size'],
    ];
    bad.forEach(([p], k) => ws.emit('message', asSent(p, k), false));
    bad.forEach(([p], k) => ws.emit('message', respelled(JSON.parse(`"${p}"`) as string, bad.length + k), false));
    expect(got).toHaveLength(0);
    const rejected = (await metrics.rejected.get()).values.filter((v) => v.labels.source === 'twilio-stream');
    const count = (reason: string): number => rejected.find((v) => v.labels.reason === reason)?.value ?? 0;
    const expected = (reason: string): number => 2 * bad.filter(([, r]) => r === reason).length;
    expect(count('invalid-payload')).toBe(expected('invalid-payload'));
    expect(count('bad-payload-size')).toBe(expected('bad-payload-size'));
    // A good frame after all that still goes through.
    ws.emit('message', asSent(randomFrame(160).toString('base64'), 99), false);
    expect(got).toHaveLength(1);
  });
});
