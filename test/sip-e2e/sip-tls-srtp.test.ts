import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcmToMulaw } from '../../media/g711.js';
import { SrtpContext } from '../../media/srtp/srtp-context.js';
import { SrtpMasterKey } from '../../media/srtp/srtp-key.js';
import { parseCrypto } from '../../sip/media/sdes.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { speechWav } from '../support/audio-tools.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { missingToolsReason } from '../support/tools.js';
import sdpTransform from 'sdp-transform';
import { drachtioUnavailableReason, freePort, startBinary, type DrachtioProcess } from './drachtio-harness.js';
import { waitFor } from '../support/wait.js';

const unavailable = process.env.DRACHTIO_BIN
  ? drachtioUnavailableReason() ?? missingToolsReason(['openssl', 'ffmpeg', 'espeak-ng', 'sox'])
  : 'skipped: set DRACHTIO_BIN to run SIP over TLS against a real drachtio-server';
const CALLED = '+15550001000';

/** SIP messages off a TLS stream, framed by Content-Length (RFC 3261 §18.3). */
class SipStream {
  private buf = '';
  private waiters: Array<() => void> = [];
  readonly messages: string[] = [];
  constructor(readonly socket: TLSSocket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { this.buf += d; this.split(); });
  }
  private split(): void {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.slice(0, end);
      const len = Number(/^Content-Length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (this.buf.length < end + 4 + len) return;
      this.messages.push(this.buf.slice(0, end + 4 + len));
      this.buf = this.buf.slice(end + 4 + len);
      for (const w of this.waiters.splice(0)) w();
    }
  }
  async next(match: RegExp, ms = 10_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => match.test(m));
      if (i >= 0) return this.messages.splice(i, 1)[0]!;
      if (Date.now() > end) throw new Error(`no SIP message matching ${match}; got:\n${this.messages.join('\n---\n')}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }
}

/**
 * SIP over TLS with SRTP through a real drachtio-server: a TLS client (Node's
 * tls, i.e. OpenSSL, against drachtio's own TLS stack) sends an INVITE with
 * RTP/SAVP + a=crypto; the bridge answers with its own key; ffmpeg (its own
 * SRTP code) sends speech under the caller's key and the agent hears it; the
 * bridge's SRTP to the caller decrypts with the bridge's key; the call record
 * says tls + SRTP; BYE ends it. sipp here has no TLS (`sipp -t l1`: "compile
 * SIPp with OpenSSL"), hence the hand-written SIP.
 */
describe.skipIf(!!unavailable)(`TLS INVITE with SRTP through drachtio${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: DrachtioProcess;
  let harness: Harness | undefined;
  let tlsPort: number;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1']);
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
    tlsPort = await freePort();
    server = await startBinary(process.env.DRACHTIO_BIN!, undefined, { port: tlsPort, keyFile: key, certFile: cert });
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'secure', mediaEncryption: 'required', inbound: { allowedCidrs: ['127.0.0.0/8'] } }],
      routes: { byNumber: { [CALLED]: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(server.adminPort), DRACHTIO_SECRET: server.secret,
      SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '44000', RTP_PORT_MAX: '44999',
    });
    await waitFor(async () => (await fetch(harness!.bridgeUrl + '/readyz')).status === 200, { everyMs: 100, what: 'bridge ready (drachtio connected)' });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    server?.child.kill('SIGTERM');
  });

  it('INVITE over TLS with RTP/SAVP: answered with SRTP, the agent hears ffmpeg\'s SRTP speech, record says tls + SRTP', async () => {
    const socket = connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    await new Promise<void>((r, j) => { socket.once('secureConnect', r); socket.once('error', j); });
    const sip = new SipStream(socket);
    const local = `127.0.0.1:${socket.localPort}`;
    const rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    const rtpPort = rtp.address().port;
    const callerKey = new SrtpMasterKey('AES_CM_128_HMAC_SHA1_80', randomBytes(30));
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/SAVP 0 101`,
      'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${callerKey.inlineBase64()}`, 'a=sendrecv', ''].join('\r\n');
    const callId = `tls-${Date.now()}@127.0.0.1`;
    const ruri = `sip:${CALLED}@127.0.0.1:${tlsPort};transport=tls`;
    const common = [`From: "Caller" <sip:+15551234567@127.0.0.1>;tag=tls1`, `Call-ID: ${callId}`, 'Max-Forwards: 70'];
    const via = (b: string): string => `Via: SIP/2.0/TLS ${local};branch=z9hG4bK${b};rport`;
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness!.bridge.events.once('call-ended', r));
    socket.write([`INVITE ${ruri} SIP/2.0`, via('inv1'), ...common, `To: <sip:${CALLED}@127.0.0.1>`, 'CSeq: 1 INVITE',
      `Contact: <sip:+15551234567@${local};transport=tls>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp].join('\r\n'));
    const ok = await sip.next(/^SIP\/2\.0 200 /);
    const toHeader = /^To: (.*)$/im.exec(ok)![1]!.trim();
    const answer = sdpTransform.parse(ok.slice(ok.indexOf('\r\n\r\n') + 4));
    const m = answer.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    const bridgeKey = parseCrypto(m.crypto![0]!)!;
    expect(bridgeKey.tag).toBe(1);
    expect(bridgeKey.key.equals(callerKey)).toBe(false);
    socket.write([`ACK ${ruri} SIP/2.0`, via('ack1'), ...common, `To: ${toHeader}`, 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join('\r\n'));

    // The bridge's SRTP to us decrypts under its key (before it latches onto ffmpeg's port).
    const far = new SrtpContext(callerKey, bridgeKey.key);
    let decrypted = 0;
    rtp.on('message', (p) => { if (far.unprotectRtp(p).ok) decrypted++; });

    // ffmpeg speaks into the call under the caller's key.
    const pcm = speechWav('This call is encrypted end to end between the trunk and the bridge.', { rate: 8000 });
    const ul = new Uint8Array(pcm.length);
    pcmToMulaw(pcm, ul);
    const dir = mkdtempSync(join(tmpdir(), 'sip-tls-ff-'));
    writeFileSync(join(dir, 'in.ul'), ul);
    const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', join(dir, 'in.ul'),
      '-c:a', 'pcm_mulaw', '-packetsize', '172', '-f', 'rtp', '-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', callerKey.inlineBase64(),
      `srtp://127.0.0.1:${m.port}?localrtpport=${(await freePort()) & ~1}`], { stdio: 'ignore' });
    const c = await conv;
    await c.started;
    expect(await new Promise((r) => ff.on('exit', r))).toBe(0);
    await c.waitFor(() => c.userAudio.durationMs >= pcm.length / 8 - 1000, 15_000);
    expect(decrypted).toBeGreaterThan(0);

    socket.write([`BYE ${ruri} SIP/2.0`, via('bye1'), ...common, `To: ${toHeader}`, 'CSeq: 2 BYE', 'Content-Length: 0', '', ''].join('\r\n'));
    await sip.next(/^SIP\/2\.0 200 [^]*CSeq: 2 BYE/m);
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    const stored = await harness!.bridge.store.calls.get(session.id);
    expect(stored?.media).toEqual({ transport: 'tls', srtp: true, suite: 'AES_CM_128_HMAC_SHA1_80' });
    socket.destroy();
    rtp.close();
  }, 60_000);
});
