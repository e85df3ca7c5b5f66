import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import type { SipCallLeg } from '../../src/sip/sip-call-leg.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import type { ReferenceAgentConfig } from '../../tools/reference-agent/types.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { drachtioUnavailableReason, freePort, startBinary, type DrachtioProcess } from './drachtio-harness.js';
import { runSipp, udpPortBound, type SippOptions } from './sipp.js';
import { writeG722Pcap } from './g722-pcap.js';
import { speechWav } from '../support/audio-tools.js';
import { median, normalizedCrossCorrelation, windowedCorrelation } from '../support/signal.js';
import { waitFor } from '../support/wait.js';

const CALLED = '+15550001000';
const unavailable = process.env.DRACHTIO_BIN ? drachtioUnavailableReason() : 'skipped: set DRACHTIO_BIN to run the bridge over a real drachtio-server';

/**
 * Issue #11's SIP sequences through the whole bridge: a real drachtio-server,
 * sipp as the carrier (caller or proxy), the reference agent over a real
 * WebSocket with its start slowed down where the sequence needs it.
 */
describe.skipIf(!!unavailable)(`SIP through drachtio: answer when ready, codecs, 503, late offer, 407${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: DrachtioProcess | undefined;
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    server?.child.kill('SIGTERM');
    server = undefined;
  });

  async function start(agent: Partial<ReferenceAgentConfig> = {}, env: Record<string, string> = {}, file: object = {}): Promise<Harness> {
    server = await startBinary(process.env.DRACHTIO_BIN!);
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'sipp', inbound: { allowedCidrs: ['127.0.0.0/8'] } }], routes: { byNumber: { [CALLED]: 'agent_test' } }, ...file,
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000', ...agent }, {
      DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(server.adminPort), DRACHTIO_SECRET: server.secret,
      SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '43000', RTP_PORT_MAX: '43999', SIP_HEADERS_TO_AGENT: 'X-Customer-Id,User-to-User', ...env,
    });
    await waitFor(async () => (await fetch(harness!.bridgeUrl + '/readyz')).status === 200, { everyMs: 100, what: 'bridge ready (drachtio connected)' });
    return harness;
  }

  async function caller(scenario: string, keys: Record<string, string> = {}, extra: Partial<SippOptions> = {}) {
    return runSipp({
      scenario, target: `127.0.0.1:${server!.sipPort}`, sipPort: await freePort(), mediaPort: await evenPort(), service: CALLED,
      keys: { pts: '0 8 101', caller: '+15551234567', caller_host: '127.0.0.1', pai: '<sip:+15551234567@127.0.0.1>', talk_ms: '1000', ...keys },
      ...extra,
    });
  }

  async function record(h: Harness, id: string) {
    return waitFor(async () => {
      const r = await h.store.calls.get(id);
      return r?.endedAt ? r : undefined;
    }, { what: `call ${id} record closed` });
  }

  it('CANCEL while the agent handshake is delayed 3 s: 487, no 200, agent closed with 1000, record canceled', async () => {
    const h = await start({ metadataDelayMs: 3000 });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const run = await (await caller('uac-cancel-after-1s.xml')).done;
    expect(run.code, run.output).toBe(0); // sipp got 180, 200 to its CANCEL, then 487 (and no 200 to the INVITE)
    const c = await conv;
    expect(await c.closed).toMatchObject({ code: 1000, by: 'client' });
    expect(metadataSent(c)).toBe(false);
    const listed = await fetch(h.bridgeUrl + '/calls', { headers: { authorization: `Bearer ${API_TOKEN}` } }).then((r) => r.json()) as { calls: unknown[] };
    expect(listed.calls).toEqual([]);
  }, 30_000);

  it('agent slower than SIP_ANSWER_TIMEOUT_MS, policy hangup: 503 with Retry-After', async () => {
    const h = await start({ metadataDelayMs: 3000 }, { SIP_ANSWER_TIMEOUT_MS: '500', SIP_RETRY_AFTER_SECONDS: '9', AGENT_FAILURE_POLICY: 'hangup' });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const run = await (await caller('uac-expect-503.xml', {})).done;
    expect(run.code, run.output).toBe(0);
    expect((await conv.then((c) => c.closed)).code).toBe(1000);
  }, 30_000);

  it('answers once the agent is ready: INVITE→180 at once, 200 right after the metadata; headers reach the agent', async () => {
    const h = await start({ metadataDelayMs: 600 });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    const t0 = performance.now();
    const sipp = await caller('uac-offer-bye.xml', {
      pts: '8 0 101', caller: 'anonymous', caller_host: 'anonymous.invalid', pai: '"Bob" <sip:+15557654321@127.0.0.1>',
    });
    const c = await conv;
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    const session = await ended;
    const meta = c.sent.find((e) => e.type === 'conversation_initiation_metadata')!.at;
    console.log(`drachtio: sipp start→metadata ${(meta - t0).toFixed(0)} ms (agent holds it 600 ms); answered after the metadata`);
    expect(session.leg.codec).toBe('alaw'); // the caller's first choice, PCMA (offer 8 0 101)
    expect(c.initiation?.dynamic_variables).toMatchObject({
      caller_id: '+15557654321', sip_x_customer_id: 'cust-42', sip_user_to_user: '56a390f3d2b7310023a2;encoding=hex',
    });
    const stored = await record(h, session.id);
    expect(stored).toMatchObject({ status: 'completed', endReason: 'caller-hangup' });
    expect(stored!.answeredAt! - stored!.createdAt).toBeGreaterThanOrEqual(500);
    console.log(`drachtio: INVITE→answer ${stored!.answeredAt! - stored!.createdAt} ms (agent metadata delayed 600 ms)`);
  }, 30_000);

  it.each([['8 0 101', 'alaw'], ['0 8 101', 'ulaw'], ['9 0 8 101', 'g722']] as const)('offer %s is answered with the caller\'s first supported codec (%s)', async (pts, codec) => {
    const h = await start();
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    const run = await (await caller('uac-offer-bye.xml', { pts })).done;
    expect(run.code, run.output).toBe(0);
    const session = await ended;
    expect(session.leg.codec).toBe(codec);
    const answer = (session.leg as SipCallLeg).dialog.media.localSdp;
    expect(/m=audio \d+ RTP\/AVP ([\d ]+)/.exec(answer)?.[1]?.trim()).toBe(`${{ alaw: 8, ulaw: 0, g722: 9 }[codec]} 101`);
  }, 30_000);

  it('late offer: INVITE without SDP, our offer in the 200, the answer (PCMA) in the ACK; the agent hears the caller', async () => {
    const h = await start({}, { SIP_CODECS: 'PCMU,PCMA' });
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    const run = await (await caller('uac-late-offer.xml')).done;
    expect(run.code, run.output).toBe(0);
    const c = await conv;
    const session = await ended;
    expect(session.leg.codec).toBe('alaw');
    expect(c.userAudio.durationMs).toBeGreaterThan(1500);
  }, 30_000);

  it('503 + Retry-After at MAX_CONCURRENT_CALLS', async () => {
    await start({ metadataDelayMs: 4000 }, { MAX_CONCURRENT_CALLS: '1', SIP_RETRY_AFTER_SECONDS: '9', SIP_ANSWER_TIMEOUT_MS: '5000' });
    // A first caller rings (its agent is slow) and so takes the only slot.
    const ringing = await caller('uac-cancel-after-1s.xml', {}, { timeoutS: 20 });
    // The first call's INVITE is in: wait for its ringing call in the registry.
    await waitFor(async () => {
      const listed = await fetch(harness!.bridgeUrl + '/calls', { headers: { authorization: `Bearer ${API_TOKEN}` } }).then((r) => r.json()) as { calls: unknown[] };
      return listed.calls.length > 0;
    }, { what: 'the first call listed' });
    const run = await (await caller('uac-expect-503.xml', {})).done;
    expect(run.code, run.output).toBe(0);
    ringing.kill();
  }, 30_000);

  it('a G.722 call both ways: sipp plays G.722 speech, the pcm_16000 agent hears it (no resampling), the echo goes back as G.722', async () => {
    const speech = speechWav('Hello, I am calling about the wideband invoice from last week.', { rate: 16000 });
    const frames = writeG722Pcap('/tmp/voice-bridge-g722.pcap', speech);
    const h = await start();
    const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
    const run = await (await caller('uac-g722-pcap.xml')).done;
    expect(run.code, run.output).toBe(0);
    const c = await conv;
    const session = await ended;
    expect(session.leg.codec).toBe('g722');
    expect(String(session.uplink)).toBe('G722(decode) -> pcm_16000');
    const heard = c.userAudio.pcm();
    const corr = normalizedCrossCorrelation(speech, heard, 16000).corr;
    // Per 100 ms window at its own lag: a frame the receiver inserts on a busy machine only shifts what follows.
    const windows = windowedCorrelation(speech, heard, { windowSamples: 1600, firstSearch: 24000, back: 12000, ahead: 12000 });
    console.log(`drachtio G.722: ${frames} packets played by sipp, agent heard ${c.userAudio.durationMs} ms, corr ${corr.toFixed(3)} (one lag), median ${median(windows).toFixed(3)} over ${windows.length} windows`);
    expect(median(windows)).toBeGreaterThanOrEqual(0.9);
    expect((session.leg as SipCallLeg).dialog.media.session.stats.sent.packets).toBeGreaterThan(200);
  }, 120_000);

  it('outbound through a proxy that challenges with 407: Proxy-Authorization, then answered', async () => {
    const proxyPort = await freePort();
    const h = await start({}, { OUTBOUND_PROVIDER: 'sip', SIP_CODECS: 'PCMU,PCMA' }, {
      trunks: [{ id: 'sipp', inbound: { allowedCidrs: ['127.0.0.0/8'] },
        outbound: { host: 'carrier.example', proxy: `sip:127.0.0.1:${proxyPort}`, credentials: { username: 'bridge', password: 's3cret' } } }],
      outboundTrunk: 'sipp',
    });
    const proxy = runSipp({ scenario: 'uas-proxy-407.xml', sipPort: proxyPort, mediaPort: await evenPort() });
    await udpPortBound(proxyPort);
    const placed = await fetch(h.bridgeUrl + '/calls', {
      method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+14155552001', agent_id: 'agent_test', policy: { maxDurationSeconds: 1 } }),
    }).then((r) => r.json()) as { id: string };
    await record(h, placed.id);
    const run = await proxy.done;
    expect(run.code, run.output).toBe(0);
    expect(await h.store.calls.get(placed.id)).toMatchObject({ provider: 'sip', endReason: 'max-duration' });
  }, 30_000);
});

function metadataSent(c: Conversation): boolean {
  return c.sent.some((e) => e.type === 'conversation_initiation_metadata');
}

async function evenPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 30000 + 2 * Math.floor(Math.random() * 4000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free even UDP port');
}
