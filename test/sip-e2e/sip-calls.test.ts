import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortAllocator } from '../../sip/media/port-allocator.js';
import { serveInbound, type InboundOutcome } from '../../sip/signaling/inbound-call.js';
import { checkCapacity, concurrencyGate, identifyTrunk, negotiateMedia, routeToAgent } from '../../sip/signaling/inbound-chain.js';
import { rtpSessionFactory, type MediaOptions } from '../../sip/signaling/media-port.js';
import { dialWithMedia } from '../../sip/signaling/outbound-leg.js';
import type { SipDialogLeg } from '../../sip/signaling/sip-dialog-leg.js';
import { drachtioUnavailableReason, freePort, startDrachtio, type DrachtioTarget } from './drachtio-harness.js';
import { runSipp, udpPortBound } from './sipp.js';
import { waitFor as waitUntil } from '../support/wait.js';

/**
 * The signaling against a real drachtio-server, with sipp as the trunk and
 * the real RtpSession carrying media. Runs when DRACHTIO_BIN or DRACHTIO_HOST
 * is set (README "SIP tests"); otherwise skipped with the reason in its name.
 */

const unavailable = drachtioUnavailableReason();
const CALLED = '+15550001000';
const CALLED_SLOW = '+15550002000';

describe.skipIf(!!unavailable)(`SIP end to end: drachtio-server + sipp${unavailable ? ` (${unavailable})` : ''}`, () => {
  let target: DrachtioTarget;
  const ports = new PortAllocator({ min: 44000, max: 44999 });
  const gate = concurrencyGate(10, 503);
  const media: MediaOptions = {
    ports, publicAddress: '127.0.0.1', codecs: ['PCMU', 'PCMA'],
    factory: rtpSessionFactory({ bindAddress: '127.0.0.1', inactivityTimeoutMs: 30_000 }),
  };
  const legs: SipDialogLeg[] = [];
  const outcomes: InboundOutcome[] = [];
  const waiters: Array<() => void> = [];
  const notify = (): void => { for (const w of waiters.splice(0)) w(); };
  const next = async <T>(list: T[], index: number, ms = 15_000): Promise<T> => {
    const end = Date.now() + ms;
    while (list.length <= index) {
      if (Date.now() > end) throw new Error('timed out waiting for the call');
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
    }
    return list[index]!;
  };

  beforeAll(async () => {
    target = await startDrachtio();
    serveInbound(target.connection.srf, {
      publicAddress: '127.0.0.1',
      chain: [identifyTrunk([{ id: 'sipp', inbound: { allowedCidrs: ['127.0.0.0/8'] } }]),
        routeToAgent({ byNumber: { [CALLED]: 'agent_e2e', [CALLED_SLOW]: 'agent_slow' } }), checkCapacity(gate), negotiateMedia(media)],
      // The "slow agent" keeps the call ringing so the caller can CANCEL.
      beforeAnswer: async (ctx) => { if (ctx.agentId === 'agent_slow') await new Promise((r) => setTimeout(r, 1500)); },
      onCall: (leg) => { legs.push(leg); notify(); },
      onOutcome: (o) => { outcomes.push(o); notify(); },
    });
  }, 20_000);

  afterAll(async () => { await target?.stop(); });

  async function uac(scenario: string, service = CALLED): Promise<ReturnType<typeof runSipp>> {
    return runSipp({ scenario, target: `${target.sipHost}:${target.sipPort}`, sipPort: await freePort(), mediaPort: await evenPort(), service });
  }

  it('inbound call: RTP from a pcap reaches us, DTMF is detected, agent audio goes back, the caller hangs up', async () => {
    const sipp = await uac('uac-pcap-caller-bye.xml');
    const leg = await next(legs, legs.length);
    // Compare plain fields: a leg references the whole Srf, too big for a diff.
    expect([leg.agentId, leg.trunkId, leg.from.user, leg.to.user]).toEqual(['agent_e2e', 'sipp', '+15551234567', CALLED]);
    expect(negotiated(leg)).toMatchObject({ codec: 'PCMA', payloadType: 8, telephoneEventPt: 101 });
    const keys: string[] = [];
    let frames = 0;
    leg.media.session.on('dtmf', (k) => keys.push(k));
    leg.media.session.on('audio', () => { frames += 1; });
    const agentFrame = new Uint8Array(160).fill(0xd5);
    for (let i = 0; i < 100; i++) leg.media.session.sendAudio(agentFrame);
    const session = leg.media.session;
    const bye = new Promise<string>((r) => leg.once('bye', r));
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    expect(await bye).toBe('normal release');
    expect(session.stats.received.packets).toBeGreaterThan(200);   // g711a.pcap: 236 PCMA packets
    expect(frames).toBeGreaterThan(150);
    expect(keys).toEqual(['1']);
    expect(session.stats.sent.packets).toBeGreaterThanOrEqual(100);
    await waitFor(() => ports.inUse === 0 && gate.active === 0);
  }, 30_000);

  it('inbound call: the bridge hangs up with BYE', async () => {
    const sipp = await uac('uac-pcap-bridge-bye.xml');
    const leg = await next(legs, legs.length);
    await new Promise<void>((r) => leg.media.session.once('dtmf', () => r()));
    await leg.hangup();
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    await waitFor(() => ports.inUse === 0 && gate.active === 0);
  }, 30_000);

  it('inbound call: CANCEL while ringing, no 200, everything released', async () => {
    const before = outcomes.length;
    const count = legs.length;
    const run = await (await uac('uac-cancel.xml', CALLED_SLOW)).done;
    expect(run.code, run.output).toBe(0);
    const outcome = await next(outcomes, before);
    expect(outcome).toEqual({ kind: 'canceled' });
    expect(legs.length).toBe(count);
    await waitFor(() => ports.inUse === 0 && gate.active === 0);
  }, 30_000);

  it('OPTIONS keep-alive answered; re-INVITE to hold and back: same port, recvonly then sendrecv, o= version moves', async () => {
    const sipp = await uac('uac-options-hold.xml');
    const leg = await next(legs, legs.length);
    const port = leg.media.session.localPort;
    const firstVersion = originVersion(leg.media.localSdp);
    const seen: string[] = [];
    leg.on('reinvite', (remote, direction) => seen.push(`${direction}@${remote.port}`));
    const bye = new Promise<string>((r) => leg.once('bye', r));
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    await bye;
    expect(seen.map((s) => s.split('@')[0])).toEqual(['recvonly', 'sendrecv']);
    expect(leg.media.session.localPort).toBe(port);
    expect(originVersion(leg.media.localSdp)).toBe(firstVersion + 2);
  }, 30_000);

  it('blind transfer: REFER accepted, NOTIFY sipfrag 100 then 200, then we BYE', async () => {
    const sipp = await uac('uac-refer-accepted.xml');
    const leg = await next(legs, legs.length);
    const progress: number[] = [];
    const outcome = await leg.refer('sip:operator@127.0.0.1:5999', { referredBy: 'sip:agent@127.0.0.1', onProgress: (s) => progress.push(s) });
    expect(outcome).toEqual({ kind: 'transferred', status: 200 });
    expect(progress).toEqual([100, 200]);
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
  }, 30_000);

  it('blind transfer: REFER refused (603), the call stays with us until we hang up', async () => {
    const sipp = await uac('uac-refer-refused.xml');
    const leg = await next(legs, legs.length);
    const outcome = await leg.refer('sip:operator@127.0.0.1:5999');
    expect(outcome).toMatchObject({ kind: 'refused', status: 603 });
    expect(leg.isEnded).toBe(false);
    await leg.hangup();
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
  }, 30_000);

  async function outbound(password: string): Promise<{ result: Awaited<ReturnType<typeof dialWithMedia>>; sipp: ReturnType<typeof runSipp> }> {
    const port = await freePort();
    const sipp = runSipp({ scenario: 'uas-digest.xml', sipPort: port, mediaPort: await evenPort() });
    await udpPortBound(port);
    const result = await dialWithMedia(target.connection.srf,
      { host: '127.0.0.1', port, credentials: { username: 'bridge', password }, callerId: '+15550001111', headers: { 'X-Campaign': 'e2e' } },
      '+15559990000', media, { ringTimeoutMs: 5000 });
    return { result, sipp };
  }

  it('outbound call through a trunk that challenges with 401: answered with the right credentials', async () => {
    const { result, sipp } = await outbound('s3cret');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(negotiated(result.leg)).toMatchObject({ codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1' } });
    await new Promise((r) => setTimeout(r, 300));
    await result.leg.hangup();
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    await waitFor(() => ports.inUse === 0);
  }, 30_000);

  it('outbound call with bad credentials: auth-failed with status 401', async () => {
    const { result, sipp } = await outbound('wrong');
    expect(result.ok ? 'answered' : { outcome: result.outcome, status: result.status }).toEqual({ outcome: 'auth-failed', status: 401 });
    const run = await sipp.done;
    expect(run.code, run.output).toBe(0);
    expect(ports.inUse).toBe(0);
  }, 30_000);
});

function originVersion(sdp: string): number {
  return Number(/^o=\S+ \S+ (\d+)/m.exec(sdp)![1]);
}

function negotiated(leg: SipDialogLeg): object {
  const { session: _s, localSdp: _l, ...rest } = leg.media;
  return rest;
}

/** A free even UDP port for sipp's RTP (Linux hands out odd ports for bind(0), so pick and probe). */
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

async function waitFor(cond: () => boolean): Promise<void> {
  await waitUntil(cond, { timeoutMs: 15_000 });
}
