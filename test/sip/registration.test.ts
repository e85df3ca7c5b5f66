/**
 * The REGISTER client against a registrar scripted on the fake Srf: a 401
 * digest challenge (answered the way drachtio-srf does), the registrar's
 * granted expiry, refresh before it runs out, 423 Min-Expires, back-off on
 * failure and unregister (Expires: 0) on stop. Timers are vitest's fake ones.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DigestVerifier } from '../../sip/signaling/digest.js';
import { grantedExpires, refreshDelayMs, TrunkRegistration, type RegistrationStatus } from '../../sip/signaling/registration.js';
import { FakeSrf, response, type OutOfDialogRequest } from './fake-srf.js';

afterEach(() => { vi.useRealTimers(); });

/** A registrar: challenges without credentials, checks the digest, grants `grant` seconds. */
function registrar(srf: FakeSrf, opts: { password?: string; grant?: number; minExpires?: number; down?: () => boolean } = {}) {
  const verifier = new DigestVerifier({ realm: 'pbx.example.com' });
  const bindings: Array<{ contact: string; expires: number }> = [];
  srf.onRequest = (req: OutOfDialogRequest) => {
    if (opts.down?.()) return response(503, 'Service Unavailable');
    const check = verifier.verify(req.headers.Authorization, 'REGISTER', (u) => (u === 'ext100' ? opts.password ?? 's3cret' : undefined));
    if (!check.ok) {
      if (check.why === 'bad response') return response(403, 'Forbidden');
      return response(401, 'Unauthorized', { 'WWW-Authenticate': verifier.challenge() });
    }
    const asked = Number(req.headers.Expires);
    if (opts.minExpires && asked > 0 && asked < opts.minExpires) return response(423, 'Interval Too Brief', { 'Min-Expires': String(opts.minExpires) });
    const granted = asked === 0 ? 0 : Math.min(asked, opts.grant ?? asked);
    bindings.push({ contact: req.headers.Contact!, expires: granted });
    return response(200, 'OK', { Contact: `${req.headers.Contact!.replace(/;expires=\d+/, '')};expires=${granted}` });
  };
  return bindings;
}

function client(srf: FakeSrf, expires = 3600, password = 's3cret'): { reg: TrunkRegistration; states: RegistrationStatus[] } {
  const reg = new TrunkRegistration(srf, {
    trunkId: 'pbx', config: { username: 'ext100', password, expires, registrar: 'pbx.example.com:5061', transport: 'tls' },
    contactHost: () => '192.0.2.10:5061',
  });
  const states: RegistrationStatus[] = [];
  reg.on('state', (s) => states.push(s));
  return { reg, states };
}

describe('REGISTER client (RFC 3261 §10.2)', () => {
  it('registers through a 401 challenge, refreshes before expiry, unregisters with Expires: 0 on stop', async () => {
    vi.useFakeTimers();
    const srf = new FakeSrf();
    const bindings = registrar(srf, { grant: 120 });
    const { reg, states } = client(srf);
    reg.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(srf.requests).toHaveLength(2); // challenged, then with credentials
    const first = srf.requests[0]!;
    expect(first.uri).toBe('sips:pbx.example.com:5061;transport=tls');
    expect(first.headers.To).toBe('<sips:ext100@pbx.example.com>');
    expect(first.headers.Contact).toBe('<sips:ext100@192.0.2.10:5061;transport=tls>;expires=3600');
    expect(srf.requests[1]!.authorization).toMatch(/^Digest username="ext100", realm="pbx.example.com"/);
    expect(reg.snapshot.state).toBe('registered');
    expect(reg.snapshot.expiresAt).toBe(Date.now() + 120_000); // the registrar's 120 s, not our 3600
    // Refresh at 60 s (120 − min(60, 60)), well before the binding lapses.
    await vi.advanceTimersByTimeAsync(59_000);
    expect(bindings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bindings).toHaveLength(2);
    expect(reg.snapshot.state).toBe('registered');
    await reg.stop();
    expect(bindings.at(-1)!.expires).toBe(0);
    expect(srf.requests.at(-1)!.headers.Expires).toBe('0');
    expect(reg.snapshot.state).toBe('unregistered');
    expect(states.map((s) => s.state)).toEqual(['registering', 'registered', 'registered', 'unregistered']); // the refresh reports too
    expect(JSON.stringify(states)).not.toContain('s3cret');
  });

  it('backs off on failure (5 s, 10 s, 20 s …) and recovers; wrong password is a failure, not a loop', async () => {
    vi.useFakeTimers();
    const srf = new FakeSrf();
    let down = true;
    registrar(srf, { down: () => down });
    const { reg } = client(srf);
    reg.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(reg.snapshot).toMatchObject({ state: 'failed', lastError: '503 Service Unavailable', consecutiveFailures: 1 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(srf.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(srf.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(srf.requests).toHaveLength(3);
    expect(reg.snapshot.consecutiveFailures).toBe(3);
    down = false;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(reg.snapshot).toMatchObject({ state: 'registered', consecutiveFailures: 0 });
    await reg.stop();

    const srf2 = new FakeSrf();
    registrar(srf2);
    const wrong = client(srf2, 3600, 'not-the-password').reg;
    wrong.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(wrong.snapshot).toMatchObject({ state: 'failed', lastError: '403 Forbidden' });
    expect(srf2.requests).toHaveLength(2); // one challenge answered, then stop
    await wrong.stop();
    expect(srf2.requests).toHaveLength(2); // never bound: nothing to unregister
  });

  it('423 Interval Too Brief: asks again with Min-Expires', async () => {
    vi.useFakeTimers();
    const srf = new FakeSrf();
    const bindings = registrar(srf, { minExpires: 600 });
    const { reg } = client(srf, 60);
    reg.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(bindings[0]!.expires).toBe(600);
    expect(reg.snapshot.state).toBe('registered');
    await reg.stop();
  });

  it('granted expiry and refresh timing', () => {
    const res = response(200, 'OK', { Contact: '<sip:other@x>;expires=30, <sip:ext100@192.0.2.10>;expires=90', Expires: '400' });
    expect(grantedExpires(res, 'ext100', 3600)).toBe(90);
    expect(grantedExpires(response(200, 'OK', { Expires: '400' }), 'ext100', 3600)).toBe(400);
    expect(refreshDelayMs(3600)).toBe(3_540_000);
    expect(refreshDelayMs(60)).toBe(30_000);
  });
});
