import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pcmToMulaw } from '../../media/g711.js';
import { writeRtpPacket } from '../../media/rtp-packet.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { haveAudioTools, speechWav } from '../support/audio-tools.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { median, resampleForCompare, windowedCorrelation } from '../support/signal.js';
import { FakeSrf, inviteFrom, sdpOffer, type FakeDialog } from './fake-srf.js';
import { paced, waitFor } from '../support/wait.js';

const CALLED = '+15550001000';
const skip = !haveAudioTools();
let speech: Int16Array;
let harness: Harness | undefined;
let peer: Socket | undefined;
beforeAll(() => {
  if (!skip) speech = speechWav('Hello, I am calling from my desk phone about an invoice.', { rate: 8000 });
});
afterEach(async () => {
  peer?.close();
  peer = undefined;
  await harness?.close();
  harness = undefined;
});

/**
 * The bridge's SIP call logic with drachtio's Srf faked at the signaling
 * boundary only: real SDP, real RTP over UDP, the real CallSession and agent.
 */
describe.skipIf(skip)('SIP call through the bridge (fake Srf, real RTP)', () => {
  it('caller RTP reaches the agent, agent audio comes back as RTP, BYE ends the call', async () => {
    const srf = new FakeSrf();
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] } }], routes: { byNumber: { [CALLED]: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '47000', RTP_PORT_MAX: '47999',
    }, {}, { sipSrf: srf });
    peer = createSocket('udp4');
    await new Promise<void>((r) => peer!.bind(0, '127.0.0.1', r));
    const received: Buffer[] = [];
    peer.on('message', (m) => received.push(m));
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness!.bridge.events.once('call-ended', r));

    const res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: peer.address().port, pts: '0 101' }) }));
    await waitFor(() => res.finalResponseSent, { what: 'final response to the INVITE' });
    const answer = res.last!;
    expect(answer.status).toBe(200);
    const bridgePort = Number(/m=audio (\d+)/.exec(answer.body ?? '')?.[1]);
    expect(answer.body).toMatch(/a=rtpmap:0 PCMU\/8000/);
    (srf.uasDialogs[0] as FakeDialog).ack();

    // 20 ms PCMU packets on a drift-free clock (packet k at t0 + 20k ms), as a real RTP peer sends them.
    const t0 = performance.now();
    const ulaw = new Uint8Array(speech.length);
    pcmToMulaw(speech, ulaw);
    let packets = 0;
    let lateSends = 0;
    await paced(Math.ceil(ulaw.length / 160), 20, (k) => {
      // A buffer per packet: dgram may still read a sent buffer after send() returns, and a paced
      // catch-up after a stall sends several packets in one go.
      const buf = new Uint8Array(172);
      const len = writeRtpPacket(buf, { marker: k === 0, payloadType: 0, sequenceNumber: 1000 + k, timestamp: k * 160, ssrc: 0x1234 }, ulaw.subarray(k * 160, k * 160 + 160));
      // This process also runs the bridge: a packet sent later than the bridge's jitter buffer can
      // absorb (60 ms default, minus the frame in play) was stalled by the machine, not by the bridge.
      if (performance.now() - (t0 + k * 20) > 60 - 20) lateSends++;
      packets++;
      peer!.send(buf.subarray(0, len), bridgePort, '127.0.0.1');
    }, t0);
    const c = await conv;
    await c.waitFor(() => c.userAudio.durationMs >= (speech.length / 8) - 300, 15_000);
    const heard = resampleForCompare(c.userAudio.pcm(), 16000, 8000);
    // Judged per 100 ms window at its own lag: the adaptive jitter buffer inserts or drops a frame when
    // the (busy) machine delays packets, which shifts what follows without damaging it. Each frame
    // concealed because this process stalled its own sends removes that frame's share of the speech.
    // The first window is searched over 3 s: on a stalled machine the agent's recording can start
    // with more than a second of what the bridge concealed or held before the speech arrived.
    const windows = windowedCorrelation(speech, heard, { windowSamples: 800, firstSearch: 24000, back: 1600, ahead: 1600 });
    expect(median(windows)).toBeGreaterThanOrEqual(0.9 - lateSends / packets);
    expect(c.initiation?.dynamic_variables).toMatchObject({ called_number: CALLED, caller_id: '+15551234567' });

    // The echo came back as RTP: PCMU, consecutive sequence numbers, +160 timestamps.
    const echoRtp = () => received.filter((m) => m.length === 172 && (m[1]! & 0x7f) === 0);
    await waitFor(() => echoRtp().length > 100, { what: '100 RTP packets of echo' });
    const rtp = echoRtp();
    const seqs = rtp.map((m) => m.readUInt16BE(2));
    expect(seqs.slice(1).every((s, i) => ((s - seqs[i]!) & 0xffff) === 1)).toBe(true);

    (srf.uasDialogs[0] as FakeDialog).remoteBye();
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    expect((await c.closed).code).toBe(1000);
  });
});
