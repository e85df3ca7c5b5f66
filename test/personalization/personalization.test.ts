/**
 * The conversation initiation webhook (protocols.md §4.9) on real calls:
 * Twilio-simulated inbound calls and SIP INVITEs (Srf faked at the signaling
 * boundary only) through the bridge to the reference agent, which records
 * the init data it receives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { simulateInboundCall } from '../../tools/twilio-standin/call-simulator.js';
import { ACCOUNT_SID, AUTH_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { FakeSrf, inviteFrom, sdpOffer, type FakeDialog } from '../sip/fake-srf.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

/** `connectedAt`: wall clock (ms) when the bridge opened the connection for this request (the request's start). */
interface InitRequest { connectedAt: number; body: Record<string, string>; secret: string | undefined }

async function startInitWebhook(
  /** `delayMs`: a remote that takes this long to answer; `after`: one that answers when this settles. */
  answer: (body: Record<string, string>) => { delayMs?: number; after?: Promise<unknown>; status?: number; json?: unknown },
  onConnection?: () => void,
) {
  const requests: InitRequest[] = [];
  const connectedAt = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    const at = connectedAt.get(req.socket) ?? Date.now();
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, string>;
      requests.push({ connectedAt: at, body, secret: req.headers['x-crm-secret'] as string | undefined });
      const a = answer(body);
      const reply = (): void => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(a.json ?? {}));
      };
      if (a.after) void a.after.then(reply);
      else setTimeout(reply, a.delayMs ?? 0);
    });
  });
  server.on('connection', (socket) => {
    connectedAt.set(socket, Date.now());
    onConnection?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/init`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const ANSWER = {
  type: 'conversation_initiation_client_data',
  dynamic_variables: { customer_name: 'Ana', tier: 'gold' },
  conversation_config_override: { agent: { first_message: 'Hello Ana, thanks for calling.' } },
};

let harness: Harness | undefined;
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const c of closers.splice(0)) await c();
});

async function twilioCall(h: Harness, voicePath = '/twilio/voice') {
  let streamAt = 0;
  const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
  const call = await simulateInboundCall({
    bridgeUrl: h.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222', voicePath,
    onStream: () => (streamAt = performance.now()),
  });
  return { call, conv: await conv, streamAt: () => streamAt };
}

describe('personalization webhook', () => {
  it('Twilio: started before the media stream, answer merged over URL var_ parameters and defaults', async () => {
    const hook = await startInitWebhook(() => ({ json: ANSWER, delayMs: 150 }));
    closers.push(hook.close);
    harness = await startHarness({ mode: 'scripted' }, {
      CONVERSATION_INIT_WEBHOOK_URL: hook.url, CONVERSATION_INIT_WEBHOOK_HEADERS: '{"X-CRM-Secret":"s3cret"}',
    });
    // Node's fetch (undici) loads lazily on first use: warm it as any running bridge is, so timing is the request's own.
    await fetch(`${harness.bridgeUrl}/healthz`);
    const { call, conv, streamAt } = await twilioCall(harness, '/twilio/voice?var_customer_name=FromUrl&var_plan=basic');
    await conv.started;
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    expect(req.body).toEqual({ caller_id: '+15550001111', agent_id: 'agent_test', called_number: '+15550002222', call_sid: call.callSid });
    expect(req.secret).toBe('s3cret');
    // While the phone rang: before the bridge's call (created from the media stream's `start`) existed.
    const session = harness.bridge.registry.list()[0]!;
    expect(req.connectedAt).toBeLessThanOrEqual(session.startedAt);
    void streamAt;
    expect(conv.initiation?.dynamic_variables).toMatchObject({ customer_name: 'Ana', tier: 'gold', plan: 'basic', caller_id: '+15550001111' });
    expect(conv.initiation?.conversation_config_override).toEqual(ANSWER.conversation_config_override);
    await call.hangup();
  });

  it('Twilio: a webhook slower than its timeout leaves the call on defaults, without delaying the agent beyond the timeout', { timeout: 40_000 }, async () => {
    const TIMEOUT = 600;
    const hook = await startInitWebhook((b) => (b.caller_id === '+15550009999' ? { json: ANSWER, delayMs: 5000 } : { json: ANSWER }));
    closers.push(hook.close);
    harness = await startHarness({ mode: 'scripted' }, { CONVERSATION_INIT_WEBHOOK_URL: hook.url, CONVERSATION_INIT_WEBHOOK_TIMEOUT_MS: String(TIMEOUT) });
    // Baseline: the usual setup, webhook answering at once.
    const fastConv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const t0 = performance.now();
    const fast = await simulateInboundCall({ bridgeUrl: harness.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222' });
    const fc = await fastConv;
    await fc.started;
    const usualMs = performance.now() - t0;
    await fast.hangup();
    const slowConv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    const lag = eventLoopDelay();
    const t1 = performance.now();
    const slow = await simulateInboundCall({ bridgeUrl: harness.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550009999', to: '+15550002222' });
    const sc = await slowConv;
    await sc.started;
    const slowMs = performance.now() - t1;
    console.info(`personalization: usual setup ${usualMs.toFixed(0)} ms; with a ${TIMEOUT} ms timeout hit: ${slowMs.toFixed(0)} ms`);
    expect(sc.initiation?.dynamic_variables).not.toHaveProperty('customer_name');
    expect(sc.initiation?.dynamic_variables).toMatchObject({ caller_id: '+15550009999' });
    // No later than timeout + the usual setup (+ one usual setup of slack for this shared, busy machine),
    // and later only by as much as this process's event loop stalled meanwhile.
    expect(slowMs).toBeLessThanOrEqual(TIMEOUT + 2 * usualMs + 100 + lag.stop().stalledMs);
    const metrics = await (await fetch(`${harness.bridgeUrl}/metrics`)).text();
    expect(metrics).toMatch(/bridge_personalization_requests_total\{outcome="timeout"\} 1/);
    expect(metrics).toMatch(/bridge_personalization_requests_total\{outcome="ok"\} 1/);
    await slow.hangup();
  });

  it('Twilio: an agent set to refuse unpersonalized calls rejects when the webhook fails', async () => {
    const hook = await startInitWebhook(() => ({ status: 500 }));
    closers.push(hook.close);
    harness = await startHarness({ mode: 'scripted' }, { CONVERSATION_INIT_WEBHOOK_URL: hook.url, CONVERSATION_INIT_WEBHOOK_ON_FAILURE: 'refuse' });
    const call = await simulateInboundCall({ bridgeUrl: harness.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222' });
    await call.ended;
    // The stand-in does not model <Reject>: it keeps it as an unknown step. No stream was opened.
    expect(call.twimlSteps.map((s) => s.verb)).toEqual(['Unknown']);
    expect(call.stream).toBeUndefined();
    expect(hook.requests).toHaveLength(1);
    expect(harness.agent.conversations).toHaveLength(0);
  });

  it('SIP: started from the INVITE (before the call is answered and the media starts), answer reaches the agent', async () => {
    const CALLED = '+15550001000';
    const srf = new FakeSrf();
    let res: ReturnType<FakeSrf['receiveInvite']> | undefined;
    // The CRM answers once the test has seen the INVITE still ringing.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const hook = await startInitWebhook(() => ({ json: ANSWER, after: released }));
    closers.push(hook.close);
    const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-pers-'));
    writeFileSync(join(dir, 'sip.json'), JSON.stringify({
      trunks: [{ id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] } }], routes: { byNumber: { [CALLED]: 'agent_test' } },
    }));
    harness = await startHarness({ mode: 'scripted' }, {
      DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
      RTP_PORT_MIN: '47000', RTP_PORT_MAX: '47999', CONVERSATION_INIT_WEBHOOK_URL: hook.url,
    }, {}, { sipSrf: srf });
    await fetch(`${harness.bridgeUrl}/healthz`); // warm Node's fetch, as in a running bridge
    const conv = new Promise<Conversation>((r) => harness!.agent.once('conversation', r));
    res = srf.receiveInvite(inviteFrom({ to: CALLED, sdp: sdpOffer({ address: '127.0.0.1', port: 9, pts: '0 101' }) }));
    // The request arrives while the INVITE still rings (no 200 yet: the bridge answers once the
    // agent, which waits for the init data, is ready): it started from the INVITE.
    await waitFor(() => hook.requests.length > 0, { everyMs: 5, what: 'init webhook request' });
    expect(hook.requests).toHaveLength(1);
    expect(res.finalResponseSent).toBe(false);
    release();
    await waitFor(() => res!.finalResponseSent, { everyMs: 5, what: 'final response to the INVITE' });
    expect(res.last!.status).toBe(200);
    (srf.uasDialogs[0] as FakeDialog).ack();
    const c = await conv;
    await c.started;
    expect(hook.requests[0]!.body).toMatchObject({ caller_id: '+15551234567', agent_id: 'agent_test', called_number: CALLED });
    expect(c.initiation?.dynamic_variables).toMatchObject({ customer_name: 'Ana', tier: 'gold', called_number: CALLED });
    expect(c.initiation?.conversation_config_override).toEqual(ANSWER.conversation_config_override);
  });
});
