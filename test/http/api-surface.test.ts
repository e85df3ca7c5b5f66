import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mode: 'scripted', firstMessage: { text: 'Hello from the agent.' } });
});
afterAll(async () => h?.close());

const bearer = { authorization: `Bearer ${API_TOKEN}` };
const call = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(h.bridgeUrl + path, { redirect: 'manual', ...init });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text && /json/.test(res.headers.get('content-type') ?? '') ? (JSON.parse(text) as any) : text };
};
const signIn = async (): Promise<string> => {
  const res = await fetch(`${h.bridgeUrl}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: API_TOKEN }), redirect: 'manual' });
  expect(res.status).toBe(303);
  return res.headers.get('set-cookie')!.split(';')[0]!;
};

describe('API surface', () => {
  it('answers unknown paths with a JSON 404, with or without credentials', async () => {
    for (const headers of [{}, bearer]) {
      for (const [method, path] of [['GET', '/nope'], ['GET', '/calls/x/bogus'], ['POST', '/campaigns/x/explode'], ['DELETE', '/twilio/none']]) {
        const r = await call(path!, { method, headers });
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.type).toContain('application/json');
        expect(r.body.error).toEqual({ code: 'not-found', message: `no route ${method} ${path}` });
      }
    }
    // A known route still needs the token.
    expect((await call('/calls')).status).toBe(401);
  });

  it('refuses a body that is not JSON with 415 instead of reading it as empty', async () => {
    const r = await call('/calls', { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: 'to=+14155550100' });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported-media-type');
    const form = await call('/dnc', { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'phone_number=%2B14155550100' });
    expect(form.status).toBe(415);
    // An empty body is fine where nothing is required (hang up takes an optional message).
    expect((await call('/calls/none/hangup', { method: 'POST', headers: bearer })).status).toBe(404);
  });

  it('refuses a blank broadcast message before placing any call', async () => {
    for (const message of ['', '   ', '\n\t ']) {
      const r = await call('/calls', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+14155550123', broadcast: { message } }) });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ field: 'broadcast.message' });
    }
    expect(h.twilio.createdCount()).toBe(0);
  });

  it('validates a campaign list without storing or dialling anything', async () => {
    const form = new FormData();
    form.set('name', 'Check only');
    form.set('agent_id', 'agent_test');
    form.set('file', new Blob(['phone_number,name\n+14155550101,A\n12,B\n+14155550101,C\n+14155550102,D\n'], { type: 'text/csv' }), 'l.csv');
    await call('/dnc', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ phone_number: '+14155550102' }) });
    const r = await call('/campaigns/validate', { method: 'POST', headers: bearer, body: form });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      valid: true,
      import: {
        accepted: 1, skippedDnc: 1, rejected: 1,
        errors: [expect.objectContaining({ rowNumber: 3, code: 'invalid_phone' })],
        duplicates: [expect.objectContaining({ rowNumber: 4, firstRowNumber: 2 })],
        doNotCall: [{ rowNumber: 5, phoneNumber: '+14155550102' }],
      },
    });
    expect((await call('/campaigns', { headers: bearer })).body.campaigns).toEqual([]);
    expect(h.twilio.createdCount()).toBe(0);
    await call('/dnc/%2B14155550102', { method: 'DELETE', headers: bearer });
  });
});

describe('dashboard sessions', () => {
  it('serves only the sign-in page without a session', async () => {
    expect((await call('/ui/')).status).toBe(303);
    const login = await fetch(`${h.bridgeUrl}/ui/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="token"');
    for (const path of ['/ui/app/main.js', '/ui/vendor/preact.mjs', '/ui/anything']) expect((await call(path)).status, path).toBe(401);
    const wrong = await fetch(`${h.bridgeUrl}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: 'wrong-token-wrong-token' }), redirect: 'manual' });
    expect(wrong.headers.get('location')).toBe('/ui/login?error=token');
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('sets an HttpOnly SameSite=Strict cookie that opens the API for reads', async () => {
    const res = await fetch(`${h.bridgeUrl}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: API_TOKEN }), redirect: 'manual' });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^vb_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect((await call('/campaigns', { headers: { cookie } })).status).toBe(200);
    expect((await call('/ui/vendor/preact.mjs', { headers: { cookie } })).type).toContain('javascript');
    expect((await call('/calls', { headers: { cookie: 'vb_session=forged' } })).status).toBe(401);
  });

  it('needs the CSRF header and a same-site origin for changes made with the cookie', async () => {
    const cookie = await signIn();
    const body = JSON.stringify({ phone_number: '+14155550150' });
    const json = { cookie, 'content-type': 'application/json' };
    expect((await call('/dnc', { method: 'POST', headers: json, body })).status).toBe(403);
    expect((await call('/dnc', { method: 'POST', headers: { ...json, 'x-requested-with': 'x', origin: 'https://evil.example' }, body })).status).toBe(403);
    expect((await call('/dnc', { method: 'POST', headers: { ...json, 'x-requested-with': 'x', origin: h.bridgeUrl }, body })).status).toBe(201);
    // A cross-site sign-in form is refused too.
    const cross = await fetch(`${h.bridgeUrl}/ui/login`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: new URLSearchParams({ token: API_TOKEN }), redirect: 'manual' });
    expect(cross.status).toBe(403);
  });

  it('logout ends the session at once', async () => {
    const cookie = await signIn();
    expect((await call('/ui/logout', { method: 'POST', headers: { cookie, 'x-requested-with': 'x' } })).status).toBe(204);
    expect((await call('/campaigns', { headers: { cookie } })).status).toBe(401);
  });
});

describe('GET /events', () => {
  it('streams live calls, transcripts and their end as Server-Sent Events', async () => {
    const events: { event: string; data: any }[] = [];
    let waiter: (() => void) | undefined;
    const req = http.get(`${h.bridgeUrl}/events`, { headers: bearer });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.headers['content-type']).toBe('text/event-stream');
    let buf = '';
    res.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.+)$/m.exec(frame)?.[1];
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
        waiter?.();
      }
    });
    const until = (pred: () => boolean) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no such event in ${JSON.stringify(events.map((e) => e.event))}`)), 20_000);
      waiter = () => { if (pred()) { clearTimeout(t); resolve(); } };
      waiter();
    });
    await until(() => events.some((e) => e.event === 'calls'));
    expect(events[0]).toEqual({ event: 'calls', data: { calls: [] } });
    const placed = await h.twilio.placeInboundCall({ bridgeUrl: h.bridgeUrl, from: '+14155550161', to: '+14155550162', hangupAfterMs: 1500 });
    await until(() => events.some((e) => e.event === 'call' && e.data.from === '+14155550161'));
    const id = events.find((e) => e.event === 'call')!.data.id as string;
    await until(() => events.some((e) => e.event === 'transcript' && e.data.id === id && e.data.transcript[0]?.text === 'Hello from the agent.'));
    await placed.ended;
    await until(() => events.some((e) => e.event === 'call-ended' && e.data.id === id));
    req.destroy();
  });
});
