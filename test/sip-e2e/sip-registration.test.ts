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

const unavailable = process.env.DRACHTIO_BIN ? drachtioUnavailableReason() : 'skipped: set DRACHTIO_BIN to run registration over a real drachtio-server';

interface Ready { status: number; registrations: Array<{ state: string; expiresAt?: number; consecutiveFailures: number }> }

/**
 * The bridge registers as extension ext100 with a sipp registrar through a
 * real drachtio-server: 401 challenge, digest, a 4-second binding refreshed
 * before it lapses, an inbound call from the registrar to the registered
 * contact routed as the trunk's call (the trunk has no inbound allowlist, so
 * only the registration can admit it), and Expires: 0 on shutdown.
 */
describe.skipIf(!!unavailable)(`REGISTER client over drachtio + sipp${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: DrachtioProcess;
  let harness: Harness | undefined;
  let registrar: ReturnType<typeof runSipp>;

  beforeAll(async () => {
    server = await startBinary(process.env.DRACHTIO_BIN!);
    const registrarPort = await freePort();
    // A registration, refreshes every 2 s, and the removal at shutdown (sipp is stopped after that).
    registrar = runSipp({ scenario: 'uas-registrar.xml', sipPort: registrarPort, calls: 1000, timeoutS: 120 });
    const dir = mkdtempSync(join(tmpdir(), 'bridge-reg-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'pbx', register: { username: 'ext100', password: 'reg-s3cret', registrar: `127.0.0.1:${registrarPort}`, expires: 60 } }],
      routes: { byNumber: {}, byTrunk: { pbx: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'echo', inputFormat: 'pcm_16000', outputFormat: 'pcm_16000' }, {
      DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(server.adminPort), DRACHTIO_SECRET: server.secret,
      SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '45000', RTP_PORT_MAX: '45999', SIP_READY_REQUIRES_REGISTRATION: 'true',
    });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    registrar?.kill();
    server?.child.kill('SIGTERM');
  });

  const ready = async (): Promise<Ready> => {
    const r = await fetch(harness!.bridgeUrl + '/readyz');
    const body = await r.json() as { registrations?: Ready['registrations'] };
    return { status: r.status, registrations: body.registrations ?? [] };
  };
  /** `ms` only bounds a failure (at least the 15 s default). */
  const until = async (cond: () => Promise<boolean>, ms: number): Promise<void> => {
    await waitFor(cond, { timeoutMs: Math.max(ms, 15_000), everyMs: 100 });
  };

  it('registers through the 401, refreshes the 4 s binding, takes a call on the contact, unregisters on close', async () => {
    await until(async () => (await ready()).status === 200, 15_000);
    const first = (await ready()).registrations[0]!;
    expect(first).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
    // The refresh (at 2 s of 4) moves expiresAt on without the binding ever lapsing.
    await until(async () => ((await ready()).registrations[0]!.expiresAt ?? 0) > first.expiresAt!, 8_000);
    expect((await ready()).registrations[0]!.state).toBe('registered');

    // The PBX (same host as the registrar) calls our registered contact ext100.
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const ended = new Promise<CallSession>((r) => harness!.bridge.events.once('call-ended', r));
    const caller = runSipp({
      scenario: 'uac-pcap-caller-bye.xml', target: `127.0.0.1:${server.sipPort}`, sipPort: await freePort(),
      mediaPort: 32000 + 2 * Math.floor(Math.random() * 1000), service: 'ext100',
    });
    const c = await conv;
    await c.started;
    const run = await caller.done;
    expect(run.code, run.output).toBe(0);
    const session = await ended;
    expect(session.endReason).toBe('caller-hangup');
    const stored = await harness!.bridge.store.calls.get(session.id);
    expect(stored?.media).toEqual({ transport: 'udp', srtp: false, suite: null });

    await harness!.close();
    harness = undefined;
    registrar.kill();
    const reg = await registrar.done;
    // The last REGISTER the registrar saw removed the binding (RFC 3261 §10.2.2), and it was answered.
    const registers = reg.output.split(/^-+ [^\n]*\n/m).filter((m) => /^REGISTER /m.test(m));
    expect(registers.at(-1), reg.output).toMatch(/^Expires: 0\s*$/m);
    expect(reg.output).not.toMatch(/403 Forbidden/);
  }, 60_000);
});
