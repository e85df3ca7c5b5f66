/**
 * TTS to a SIP leg's media: ElevenLabs (stand-in) asked for alaw_8000, played
 * through a real `RtpSession` (its sender queue is the playback truth) to a
 * UDP peer on loopback. The bytes on the wire are the service's bytes.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRtpHeader, parseRtpHeader } from '../../media/rtp-packet.js';
import { MediaClock } from '../../sip/media/media-clock.js';
import { RtpSession } from '../../sip/media/rtp-session.js';
import { ElevenLabsTts } from '../../src/tts/elevenlabs-tts.js';
import { TtsCache } from '../../src/tts/tts-cache.js';
import { TtsPlayback } from '../../src/tts/tts-playback.js';
import { TtsService } from '../../src/tts/tts-service.js';
import { synthesizeAudio } from '../../tools/tts-standin/standin-audio.js';
import { TtsStandIn } from '../../tools/tts-standin/tts-standin.js';

const TEXT = 'Guten Tag, Ihr Termin ist morgen.';

describe('TTS playback to a SIP leg (PCMA over RTP)', () => {
  let standIn: TtsStandIn;
  let peer: Socket;
  const packets: { at: number; pt: number; seq: number; payload: Buffer }[] = [];
  const clock = new MediaClock();

  beforeAll(async () => {
    standIn = await TtsStandIn.start({ firstChunkDelayMs: 30, chunkDelayMs: 40 });
    peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const h = newRtpHeader();
    peer.on('message', (m) => {
      if (parseRtpHeader(m, m.length, h) !== null) return;
      packets.push({ at: performance.now(), pt: h.payloadType, seq: h.sequenceNumber, payload: Buffer.from(m.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength)) });
    });
  });
  afterAll(async () => {
    await standIn.close();
    peer.close();
  });

  it('asks for alaw_8000, sends the frames as RTP at once and resolves when the sender reports them played', async () => {
    const rtp = new RtpSession({
      bindAddress: '127.0.0.1', port: 0, codec: 'PCMA', payloadType: 8, inactivityTimeoutMs: 10_000, clock, sendSilence: false,
      remote: { address: '127.0.0.1', port: (peer.address() as AddressInfo).port },
    });
    await rtp.open();
    try {
      const tts = new TtsService({
        engine: new ElevenLabsTts({ apiUrl: standIn.url, voiceId: 'v', modelId: 'eleven_flash_v2_5', timeoutMs: 3000 }),
        cache: new TtsCache({ maxBytes: 1 << 20 }),
      });
      const playback = new TtsPlayback(rtp, { law: 'alaw' });
      rtp.on('played', (label) => playback.onPlayed(label));
      const t0 = performance.now();
      const result = await playback.play(tts.stream(TEXT, { encoding: 'alaw' }));
      const expected = synthesizeAudio(TEXT, 'alaw', 'tone');

      expect(standIn.syntheses[0]!.outputFormat).toBe('alaw_8000');
      expect(packets.every((p) => p.pt === 8 && p.payload.length === 160)).toBe(true);
      // Sequence numbers contiguous and the frames in order, nothing foreign and nothing lost: the sender
      // takes at most one frame from its pacer per 20 ms slot, however late the machine runs its ticks.
      expect(packets.slice(1).every((p, i) => p.seq === ((packets[i]!.seq + 1) & 0xffff))).toBe(true);
      const lost = framesLost(packets.map((p) => p.payload), expected);
      expect(lost).toBe(0);
      expect(result).toEqual({ playedMs: (packets.length + lost) * 20, complete: true });
      expect(packets[0]!.at).toBeLessThan(standIn.syntheses[0]!.finalAt!);
      console.log(`sip leg: first RTP packet ${(packets[0]!.at - t0).toFixed(1)} ms after the request, ${result.playedMs} ms played, ` +
        `resolved at ${(performance.now() - t0).toFixed(0)} ms, frames lost by the RTP sender: ${lost}`);
    } finally {
      await rtp.close();
    }
  });
});

/** Checks the packets are the expected frames in order (the last padded) and returns how many frames are missing. */
function framesLost(payloads: Buffer[], expected: Uint8Array): number {
  const frames: Buffer[] = [];
  for (let at = 0; at < expected.length; at += 160) {
    const f = Buffer.alloc(160, 0xd5);
    f.set(expected.subarray(at, at + 160));
    frames.push(f);
  }
  let j = 0;
  for (const p of payloads) {
    while (j < frames.length && !frames[j]!.equals(p)) j++;
    expect(j, 'a packet that is not the next expected frame').toBeLessThan(frames.length);
    j++;
  }
  return frames.length - payloads.length;
}
