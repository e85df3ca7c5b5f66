import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { drachtioUnavailableReason, freePort, startBinary, type DrachtioProcess } from './drachtio-harness.js';
import { runSipp } from './sipp.js';
import { waitFor } from '../support/wait.js';

const CALLED = '+15550001000';
const unavailable = process.env.DRACHTIO_BIN ? drachtioUnavailableReason() : 'skipped: set DRACHTIO_BIN to run the bridge over a real drachtio-server';

/**
 * The whole bridge on a SIP call: sipp plays a PCMA caller (pcap) into a real
 * drachtio-server, the bridge answers, runs the same CallSession as for Twilio,
 * and the caller's audio reaches the reference agent.
 */
describe.skipIf(!!unavailable)(`SIP call through the bridge to an agent${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: DrachtioProcess;
  let harness: Harness;

  beforeAll(async () => {
    server = await startBinary(process.env.DRACHTIO_BIN!);
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'sipp', inbound: { allowedCidrs: ['127.0.0.0/8'] } }],
      routes: { byNumber: { [CALLED]: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(server.adminPort), DRACHTIO_SECRET: server.secret,
      SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '46000', RTP_PORT_MAX: '46999',
    });
    await waitFor(async () => (await fetch(harness!.bridgeUrl + '/readyz')).status === 200, { everyMs: 100, what: 'bridge ready (drachtio connected)' });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    server?.child.kill('SIGTERM');
  });

  it('inbound PCMA call: the agent hears the caller, gets the DTMF, and the call ends on the caller BYE', async () => {
    const conv = new Promise<Conversation>((r) => harness.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness.bridge.events.once('call-ended', r));
    const sipp = runSipp({
      scenario: 'uac-pcap-caller-bye.xml', target: `127.0.0.1:${server.sipPort}`, sipPort: await freePort(), mediaPort: 34000 + 2 * Math.floor(Math.random() * 1000), service: CALLED,
    });
    const c = await conv;
    await c.started;
    expect(c.initiation?.dynamic_variables).toMatchObject({ called_number: CALLED, caller_id: '+15551234567' });
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    expect(session.leg.kind).toBe('sip');
    expect(session.leg.codec).toBe('alaw');
    // g711a.pcap holds ~4.7 s of speech; the agent got it, resampled to 16 kHz.
    expect(c.userAudio.durationMs).toBeGreaterThan(2000);
    expect(c.contextualUpdates.some((u) => u.includes('"1"'))).toBe(true);
    const stored = await harness.bridge.store.calls.get(session.id);
    expect(stored).toMatchObject({ provider: 'sip', direction: 'inbound', endReason: 'caller-hangup' });
  }, 40_000);
});
