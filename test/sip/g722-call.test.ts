import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder } from '../../media/g722.js';
import { writeRtpPacket } from '../../media/rtp-packet.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { median, normalizedCrossCorrelation, windowedCorrelation } from '../support/signal.js';
import { paced, udpDrained, waitFor } from '../support/wait.js';
import { FakeSrf, inviteFrom, sdpOffer, type FakeDialog } from './fake-srf.js';

const CALLED = '+15550001000';
const skip = !haveAudioTools();
let speech16k: Int16Array;
let harness: Harness | undefined;
let peer: Socket | undefined;
beforeAll(() => {
  if (!skip) speech16k = speechWav('Hello, I am calling about the wideband invoice from last week.', { rate: 16000 });
});
afterEach(async () => {
  peer?.close();
  peer = undefined;
  await harness?.close();
  harness = undefined;
});

/**
 * A G.722 call (RFC 3551 §4.5.2: PT 9, clock 8000 in SDP and RTP) with the
 * default SIP_CODECS: the caller's wideband audio reaches a `pcm_16000` agent
 * decoded and untouched (no resampling: sample for sample what an
 * independent decode of the same packets gives), and the agent's audio comes
 * back as G.722.
 */
describe.skipIf(skip)('G.722 call through the bridge (fake Srf, real RTP)', () => {
  it('offer 9 0 8 101 → G.722; caller audio reaches the pcm_16000 agent bit-exact, the echo returns as G.722', async () => {
    const srf = new FakeSrf();
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] } }], routes: { byNumber: { [CALLED]: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '45000', RTP_PORT_MAX: '45999',
    }, {}, { sipSrf: srf });
    peer = createSocket('udp4');
    await new Promise<void>((r) => peer!.bind(0, '127.0.0.1', r));
    const received: Buffer[] = [];
    peer.on('message', (m) => received.push(m));
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness!.bridge.events.once('call-ended', r));

    const offer = sdpOffer({ address: '127.0.0.1', port: peer.address().port, pts: '9 0 8 101' }).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000');
    const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: offer }));
    await waitFor(() => res.finalResponseSent, { everyMs: 5, what: 'final response to the INVITE' });
    const answer = res.last!;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^m=audio \d+ RTP\/AVP 9 101/m);
    expect(answer.body).toMatch(/a=rtpmap:9 G722\/8000/);
    const bridgePort = Number(/m=audio (\d+)/.exec(answer.body ?? '')?.[1]);
    (srf.uasDialogs[0] as FakeDialog).ack();
    const c = await conv;

    // 20 ms G.722 packets (320 samples → 160 octets, timestamp +160) on a drift-free clock.
    const frames = Math.floor(speech16k.length / 320);
    const encoder = new G722Encoder();
    const payloads = Array.from({ length: frames }, (_, k) => encoder.encode(speech16k.subarray(k * 320, k * 320 + 320)));
    const t0 = performance.now();
    let lateSends = 0;
    await paced(frames, 20, (k) => {
      // A buffer per packet: dgram may still read a sent buffer after send() returns, and a paced
      // catch-up after a stall sends several packets in one go.
      const buf = new Uint8Array(172);
      const len = writeRtpPacket(buf, { marker: k === 0, payloadType: 9, sequenceNumber: 100 + k, timestamp: k * 160, ssrc: 0x722 }, payloads[k]!);
      // This process also runs the bridge: a packet sent later than the bridge's jitter buffer can
      // absorb (60 ms, minus the frame in play) was stalled by the machine, not by the bridge.
      if (performance.now() - (t0 + k * 20) > 60 - 20) lateSends++;
      peer!.send(buf.subarray(0, len), bridgePort, '127.0.0.1');
    }, t0);
    // Each frame concealed because this process stalled its own sends removes that frame's share.
    const bound = 0.9 - lateSends / frames;
    await c.waitFor(() => c.userAudio.durationMs >= frames * 20 - 100, 15_000);
    const heard = c.userAudio.pcm();
    // The echo came back as G.722 (PT 9); the call is hung up before the (slow) analysis. All of the
    // echo reached the bridge once an event the agent sends after it has (the transcript shows it),
    // went out once the leg has nothing left to play, and arrived once a datagram sent after it has.
    c.sendUserTranscript('end of echo');
    const live = () => harness!.bridge.registry.list()[0];
    await waitFor(() => (live()?.describe(true).transcript as Array<{ text: string }> | undefined)?.some((t) => t.text === 'end of echo'), { what: 'transcript event' });
    // The echo agent also echoes the line silence the agent hears after the speech, so the queue never
    // empties, and each stall of this process leaves it a frame or more longer for good. It plays in
    // order: what was queued when the event arrived has gone out once that many more packets came.
    const isEcho = (m: Buffer): boolean => m.length === 172 && (m[1]! & 0x7f) === 9;
    const echoPackets = (): number => received.filter(isEcho).length;
    const target = echoPackets() + Math.ceil(live()!.leg.unplayedMs() / 20);
    await waitFor(() => echoPackets() >= target, { what: `echo sent (${target} packets)` });
    await udpDrained(peer);
    const rtp = received.filter(isEcho);
    expect(rtp.length).toBeGreaterThan(100);
    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    // The media chain prints itself: decode, and no resampler between G.722's 16 kHz and the agent's.
    expect(String(session.uplink)).toBe('G722(decode) -> pcm_16000');
    expect(String(session.downlink)).toBe('pcm_16000 -> G722(encode)');
    // An independent decode of the same packets: the agent's audio is this, sample for sample, from where it starts.
    const decoder = new G722Decoder();
    const reference = new Int16Array(frames * 320);
    payloads.forEach((p, k) => decoder.decode(p, reference.subarray(k * 320, k * 320 + 320)));
    const { lag, corr } = normalizedCrossCorrelation(reference, heard, 8000);
    // Asserted per 100 ms window at its own lag: a frame the receiver inserts on a busy machine only shifts what follows.
    const windows = windowedCorrelation(reference, heard, { windowSamples: 1600, firstSearch: 24000, back: 12000, ahead: 12000 });
    console.log(`G.722 → pcm_16000: median window corr ${median(windows).toFixed(3)} over ${windows.length} windows; ${lateSends} of ${frames} packets sent late (bound ${bound.toFixed(3)})`);
    expect(median(windows)).toBeGreaterThanOrEqual(bound);
    const start = Math.max(0, -lag);
    let identical = 0;
    const compared = Math.min(reference.length - start, heard.length - (start + lag)) - 1;
    for (let i = start; i < start + compared; i++) if (reference[i] === heard[i + lag]) identical++;
    console.log(`G.722 → pcm_16000: corr ${corr.toFixed(4)}, lag ${lag} samples, ${((100 * identical) / compared).toFixed(1)} % of ${compared} samples identical to an independent decode`);
    // Printed, not asserted: on a busy machine a packet the jitter buffer conceals or drops changes the decoder's state for a while.

    const back = new G722Decoder();
    const echoed = new Int16Array(rtp.length * 320);
    rtp.forEach((m, i) => back.decode(m.subarray(12), echoed.subarray(i * 320, i * 320 + 320)));
    const echoWindows = windowedCorrelation(speech16k, echoed, { windowSamples: 1600, firstSearch: 32000, back: 12000, ahead: 12000 });
    console.log(`G.722 echo back to the caller: median window corr ${median(echoWindows).toFixed(3)} over ${rtp.length} packets`);
    // The echo carries what the agent heard, so the caller's late frames are in it too.
    expect(median(echoWindows)).toBeGreaterThanOrEqual(bound);

  }, 120_000);
});
