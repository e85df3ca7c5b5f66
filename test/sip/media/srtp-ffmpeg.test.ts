/**
 * SRTP interop with an independent implementation over real UDP: ffmpeg's
 * libavformat srtp (its own AES-CM/HMAC code) against our RtpSession with
 * the SRTP transform, both suites, both directions. Audio is real speech
 * (espeak-ng) as μ-law; "same audio" means the very same G.711 bytes come
 * out, frame for frame, after alignment.
 *
 * ffmpeg → us goes through a UDP relay that also injects tampered packets,
 * replays and packets under a wrong key: each must be dropped and counted,
 * while the real audio still arrives whole.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmToMulaw } from '../../../media/g711.js';
import { SrtpContext } from '../../../media/srtp/srtp-context.js';
import { SrtpMasterKey } from '../../../media/srtp/srtp-key.js';
import type { SrtpSuiteName } from '../../../media/srtp/srtp-suites.js';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { srtpTransform } from '../../../sip/media/packet-transform.js';
import { RtpSession } from '../../../sip/media/rtp-session.js';
import { freePort } from '../../sip-e2e/drachtio-harness.js';
import { speechWav } from '../../support/audio-tools.js';
import { missingToolsReason } from '../../support/tools.js';
import { clockTicks } from '../../support/wait.js';

const skip = missingToolsReason(['ffmpeg', 'sox', 'espeak-ng']);
const SUITES: SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
const clock = new MediaClock();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function speechMulaw(): Buffer {
  const pcm = speechWav('Secure real time transport protocol works with ffmpeg.', { rate: 8000 });
  const ul = new Uint8Array(pcm.length);
  pcmToMulaw(pcm, ul);
  return Buffer.from(ul.subarray(0, ul.length - (ul.length % 160)));
}

/**
 * Frames of `sent` found byte-identical in `got`, in order (a gap or a
 * concealed frame on a busy machine shifts the rest, so each frame is looked
 * for after the previous match). μ-law has two zeros (0x7F, 0xFF) and a
 * decode→encode round trip (ffmpeg's output) writes 0xFF: compare with -0 as +0.
 */
const canon = (b: Buffer): Buffer => Buffer.from(b.map((x) => (x === 0x7f ? 0xff : x)));

function matchingFrames(sent: Buffer, got: Buffer): { same: number; total: number } {
  const a = canon(sent);
  const b = canon(got);
  const total = a.length / 160;
  let same = 0;
  let from = 0;
  for (let f = 0; f < total; f++) {
    const frame = a.subarray(f * 160, f * 160 + 160);
    const at = b.indexOf(frame, from);
    if (at >= 0) { same++; from = at + 160; }
  }
  return { same, total };
}

function runFfmpeg(args: string[]): { child: ChildProcess; stderr: string[]; exited: Promise<number | null> } {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return { child, stderr, exited };
}

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (check()) { clearInterval(poll); resolve(); } else if (Date.now() - t0 > timeoutMs) { clearInterval(poll); reject(new Error(`timed out: ${what}`)); }
    }, 20);
  });
}

/** An RTP session with the SRTP stage; `decrypted` gets each packet the stage lets through (RTP payload by timestamp, which may wrap). */
async function session(suite: SrtpSuiteName, local: SrtpMasterKey, remote: SrtpMasterKey, remotePort: number,
  decrypted?: Map<number, Buffer>): Promise<RtpSession> {
  const stage = srtpTransform({ suite, tag: 1, localKey: local, remoteKey: remote });
  const tapped = { ...stage, unprotectRtp: (p: Uint8Array, n: number) => {
    const out = stage.unprotectRtp(p, n);
    if (out) decrypted?.set(Buffer.from(out).readUInt32BE(4), Buffer.from(out.subarray(12)));
    return out;
  } };
  const s = new RtpSession({
    bindAddress: '127.0.0.1', port: 0, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: remotePort },
    inactivityTimeoutMs: 60_000, clock, jitterMs: 60, transform: tapped,
  });
  await s.open();
  cleanups.push(() => s.close());
  return s;
}

describe.skipIf(skip)(`SRTP interop with ffmpeg over UDP ${skip ?? ''}`, () => {
  it.each(SUITES)('%s: ffmpeg sends, we decrypt the same audio; tampered, replayed and wrong-key packets are dropped and counted', async (suite) => {
    const audio = speechMulaw();
    const dir = mkdtempSync(join(tmpdir(), 'srtp-ff-'));
    writeFileSync(join(dir, 'in.ul'), audio);
    const theirs = new SrtpMasterKey(suite, randomBytes(30));
    const ours = new SrtpMasterKey(suite, randomBytes(30));
    const relay = await udp();
    const ffLocal = (await freePort()) & ~1;
    const decrypted = new Map<number, Buffer>();
    const rtp = await session(suite, ours, theirs, ffLocal, decrypted);
    const got: Buffer[] = [];
    rtp.on('audio', (f) => got.push(Buffer.from(f)));
    // Relay ffmpeg → session; after every 10th packet inject a tampered copy, a replay and a wrong-key packet.
    const wrongKey = new SrtpContext(new SrtpMasterKey(suite, randomBytes(30)), theirs);
    const injected = { tampered: 0, replayed: 0, wrongKey: 0 };
    let n = 0;
    relay.on('message', (m, from) => {
      if (from.port !== ffLocal) return;
      const inject = ++n % 10 === 0 && m.length > 40;
      if (inject) {
        // A tampered copy first (a fresh index, so it reaches the tag check, RFC 3711 §3.3 step 5).
        const bad = Buffer.from(m);
        bad[20]! ^= 0x10;
        relay.send(bad, rtp.localPort, '127.0.0.1');
      }
      relay.send(m, rtp.localPort, '127.0.0.1');
      if (!inject) return;
      relay.send(m, rtp.localPort, '127.0.0.1'); // replay
      const plain = Buffer.from(m.subarray(0, m.length - (suite.endsWith('80') ? 10 : 4)));
      plain.writeUInt16BE((plain.readUInt16BE(2) + 5000) & 0xffff, 2); // an index ahead, under the wrong key
      relay.send(wrongKey.protectRtp(plain), rtp.localPort, '127.0.0.1');
      injected.tampered++; injected.replayed++; injected.wrongKey++;
    });
    const ff = runFfmpeg(['-loglevel', 'error', '-re', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', join(dir, 'in.ul'),
      '-c:a', 'pcm_mulaw', '-packetsize', '172', '-f', 'rtp', '-srtp_out_suite', suite, '-srtp_out_params', theirs.inlineBase64(),
      `srtp://127.0.0.1:${relay.address().port}?localrtpport=${ffLocal}`]);
    expect(await ff.exited).toBe(0);
    // Every packet ffmpeg sent, and every injected one, has been through the SRTP stage.
    const seen = (): number => { const t = rtp.stats.srtp!; return t.rtpUnprotected + Object.values(t.dropped).reduce((a, b) => a + b, 0); };
    await until(() => seen() >= n + 3 * injected.tampered, 'all relayed packets to reach the session', 10_000);
    // Let the jitter buffer play out what it holds: at most 200 ms (10 frames, its bound), one frame
    // per tick of the session's clock; one tick more, as a tick's frames pop just after it.
    await clockTicks(clock, 12);
    const stats = rtp.stats.srtp!;
    // Decryption is exact: every packet's payload, in order, is the audio ffmpeg was given (its μ-law re-encode writes 0xFF for -0).
    const first = decrypted.keys().next().value!;
    const byTime = [...decrypted.keys()].sort((a, b) => ((a - first) >>> 0) - ((b - first) >>> 0));
    expect(canon(Buffer.concat(byTime.map((ts) => decrypted.get(ts)!))).equals(canon(audio))).toBe(true);
    expect(stats.rtpUnprotected).toBe(audio.length / 160);
    // And it plays out of the session as that audio. The jitter buffer re-times ffmpeg's -re pacing and
    // conceals frames that come late on a starved event loop (a busy CI box), so only part of the frames
    // must come out byte-identical; the exact check above is the SRTP claim.
    const match = matchingFrames(audio, Buffer.concat(got));
    expect(match.same / match.total).toBeGreaterThan(0.25);
    expect(stats.dropped['auth-failed']).toBe(injected.tampered + injected.wrongKey);
    expect(stats.dropped.replayed).toBe(injected.replayed);
    console.info(`[${suite}] ffmpeg→us: ${match.same}/${match.total} frames identical; dropped ${JSON.stringify(stats.dropped)} of injected ${JSON.stringify(injected)}`);
  });

  it.each(SUITES)('%s: we send, ffmpeg (SDP with a=crypto) decrypts the same audio', async (suite) => {
    const audio = speechMulaw();
    const dir = mkdtempSync(join(tmpdir(), 'srtp-ff-'));
    const ours = new SrtpMasterKey(suite, randomBytes(30));
    const theirs = new SrtpMasterKey(suite, randomBytes(30));
    const ffPort = (await freePort()) & ~1;
    writeFileSync(join(dir, 'in.sdp'), ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${ffPort} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', `a=crypto:1 ${suite} inline:${ours.inlineBase64()}`, ''].join('\r\n'));
    const ff = runFfmpeg(['-loglevel', 'info', '-protocol_whitelist', 'file,udp,rtp,srtp', '-i', join(dir, 'in.sdp'),
      '-c:a', 'pcm_mulaw', '-f', 'mulaw', join(dir, 'out.ul')]);
    const rtp = await session(suite, ours, theirs, ffPort);
    // Silence flows from the session until ffmpeg has probed the stream, then the speech.
    await until(() => ff.stderr.join('').includes('Output #0'), 'ffmpeg to start decoding');
    for (let i = 0; i < audio.length; i += 160) rtp.sendAudio(audio.subarray(i, i + 160));
    const played = new Promise<void>((r) => rtp.on('played', (l) => { if (l === 'end') r(); }));
    rtp.mark('end');
    await played;
    await new Promise((r) => setTimeout(r, 300));
    ff.child.kill('SIGINT');
    await ff.exited;
    const match = matchingFrames(audio, readFileSync(join(dir, 'out.ul')));
    expect(match.same).toBeGreaterThanOrEqual(match.total - 2);
    expect(rtp.stats.srtp!.rtpProtected).toBeGreaterThan(audio.length / 160);
    console.info(`[${suite}] us→ffmpeg: ${match.same}/${match.total} frames identical; SRTP packets sent ${rtp.stats.srtp!.rtpProtected}, SRTCP received ${rtp.stats.srtp!.rtcpUnprotected}`);
  });
});
