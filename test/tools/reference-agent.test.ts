/**
 * Reference agent: authentication, session start, robustness and teardown, over
 * real sockets on port 0 (protocols.md §4.1, §4.2, §4.8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startReferenceAgent, type ReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import type { ReferenceAgentOptions } from '../../tools/reference-agent/types.js';
import { AgentClient } from './reference-agent-client.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const KEY = 'xi-test-key';
let agent: ReferenceAgent | undefined;

async function start(overrides: Partial<ReferenceAgentOptions> = {}): Promise<ReferenceAgent> {
  agent = await startReferenceAgent({
    apiKey: KEY,
    agents: [
      { agentId: 'private', requireAuth: true },
      { agentId: 'public', requireAuth: false, inputFormat: 'ulaw_8000', outputFormat: 'pcm_22050' },
    ],
    ...overrides,
  });
  return agent;
}

afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

const wsUrl = (a: ReferenceAgent, query: string) => `${a.url.replace(/^http/, 'ws')}/v1/convai/conversation?${query}`;

async function signedUrl(a: ReferenceAgent, agentId: string, key = KEY): Promise<Response> {
  return fetch(`${a.url}/v1/convai/conversation/get-signed-url?agent_id=${agentId}`, { headers: { 'xi-api-key': key } });
}

describe('signed URL flow (§4.1)', () => {
  it('issues a signed ws:// URL for a good key, and the conversation starts on it', async () => {
    const a = await start();
    const res = await signedUrl(a, 'private');
    expect(res.status).toBe(200);
    const { signed_url } = (await res.json()) as { signed_url: string };
    const url = new URL(signed_url);
    expect(url.protocol).toBe('ws:');
    expect(url.host).toBe(new URL(a.url).host);
    expect(url.pathname).toBe('/v1/convai/conversation');
    expect(url.searchParams.get('agent_id')).toBe('private');
    expect(url.searchParams.get('conversation_signature')).toMatch(/^[A-Za-z0-9_-]+$/);

    const client = await AgentClient.start(signed_url);
    expect(a.conversations).toHaveLength(1);
    expect(client.events[0]!.type).toBe('conversation_initiation_metadata');
    expect(a.httpRequests).toEqual([expect.objectContaining({ path: '/v1/convai/conversation/get-signed-url', status: 200 })]);
  });

  it('answers 401 for a wrong or missing key, 404 for an unknown agent, 422 without agent_id', async () => {
    const a = await start();
    const bad = await signedUrl(a, 'private', 'wrong');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    expect((await fetch(`${a.url}/v1/convai/conversation/get-signed-url?agent_id=private`)).status).toBe(401);
    expect((await signedUrl(a, 'nobody')).status).toBe(404);
    expect((await fetch(`${a.url}/v1/convai/conversation/get-signed-url`, { headers: { 'xi-api-key': KEY } })).status).toBe(422);
  });

  it("checks the agent's own key before the server's", async () => {
    const a = await start({ agents: [{ agentId: 'own', requireAuth: true, apiKey: 'agent-key' }] });
    expect((await signedUrl(a, 'own', KEY)).status).toBe(401);
    expect((await signedUrl(a, 'own', 'agent-key')).status).toBe(200);
  });
});

describe('public and private agents', () => {
  it('lets anyone open a public agent by agent_id', async () => {
    const a = await start();
    await AgentClient.start(wsUrl(a, 'agent_id=public'));
    expect(a.conversations).toHaveLength(1);
    expect(a.rejections).toEqual([]);
  });

  it('closes a private agent with 1008 without a signature, or with a forged, foreign or expired one', async () => {
    const a = await start({ signedUrlTtlMs: 200 });
    const { signed_url } = (await (await signedUrl(a, 'private')).json()) as { signed_url: string };
    const sig = new URL(signed_url).searchParams.get('conversation_signature')!;
    const forged = Buffer.from(`${Date.now() + 60_000}.${'ab'.repeat(32)}`).toString('base64url');
    const attempts = [
      wsUrl(a, 'agent_id=private'),
      wsUrl(a, `agent_id=private&conversation_signature=${forged}`),
      wsUrl(a, `agent_id=private&conversation_signature=garbage`),
      wsUrl(a, 'agent_id=nobody'),
    ];
    for (const url of attempts) {
      const client = await AgentClient.open(url);
      expect((await client.closed).code).toBe(1008);
      expect(client.events[0]).toMatchObject({ type: 'error', error_event: { code: 1008 } });
    }
    // A signature for `private` does not open `public`'s sibling, and it expires.
    const foreign = await AgentClient.open(wsUrl(a, `agent_id=public&conversation_signature=${sig}`));
    expect((await foreign.closed).code).toBe(1008);
    // Until the expiry the signature carries (base64url of `<expiresAtMs>.<hmac>`) has passed.
    const expiresAt = Number(Buffer.from(sig, 'base64url').toString().split('.')[0]);
    await waitFor(() => Date.now() > expiresAt, { everyMs: 10, what: 'signed URL expired' });
    const late = await AgentClient.open(signed_url);
    expect(await late.closed).toEqual({ code: 1008, reason: 'Signed URL rejected: expired' });
    expect(a.conversations).toHaveLength(0);
    expect(a.rejections.map((r) => r.via)).toEqual(Array(6).fill('close'));
  });

  it('can refuse the upgrade with HTTP 403/404 instead', async () => {
    const a = await start({ rejectWith: 'http' });
    await expect(AgentClient.open(wsUrl(a, 'agent_id=private'))).rejects.toThrow('HTTP 403');
    await expect(AgentClient.open(wsUrl(a, 'agent_id=nobody'))).rejects.toThrow('HTTP 404');
    await expect(AgentClient.open(`${a.url.replace('http', 'ws')}/elsewhere`)).rejects.toThrow('HTTP 404');
    expect(a.connectionCount).toBe(0);
  });

  it('refuses a bad agent list at start, naming every problem', async () => {
    await expect(
      startReferenceAgent({
        agents: [
          { agentId: 'x', requireAuth: false },
          { agentId: 'x', requireAuth: false, outputFormat: 'alaw_8000' as never },
        ],
      }),
    ).rejects.toThrow(/listed twice.*unknown audio format alaw_8000/);
  });
});

describe('session start (§4.2)', () => {
  it('records the initiation and answers with metadata in the configured formats', async () => {
    const a = await start();
    const init = {
      dynamic_variables: { customer_name: 'Ada', vip: true, calls: 3 },
      conversation_config_override: { agent: { first_message: 'Hi {{customer_name}}' } },
    };
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'), init);
    const [conversation] = a.conversations;
    expect(client.events[0]).toEqual({
      type: 'conversation_initiation_metadata',
      conversation_initiation_metadata_event: {
        conversation_id: conversation!.conversationId,
        agent_output_audio_format: 'pcm_22050',
        user_input_audio_format: 'ulaw_8000',
      },
    });
    expect(conversation!.initiation).toMatchObject(init);
    expect(conversation!.violations).toEqual([]);
  });

  it('defaults both formats to pcm_16000 (§4.6) and notes a client that skips the initiation', async () => {
    const a = await start();
    const { signed_url } = (await (await signedUrl(a, 'private')).json()) as { signed_url: string };
    const client = await AgentClient.open(signed_url);
    client.send({ user_audio_chunk: Buffer.alloc(320).toString('base64') });
    const metadata = await client.next('conversation_initiation_metadata');
    expect(metadata.conversation_initiation_metadata_event).toMatchObject({
      agent_output_audio_format: 'pcm_16000',
      user_input_audio_format: 'pcm_16000',
    });
    await a.conversations[0]!.waitFor(() => a.conversations[0]!.userAudio.durationMs === 10);
    expect(a.conversations[0]!.violations[0]!.message).toMatch(/first message was audio/);
  });
});

describe('robustness', () => {
  const bad: [string, string | Buffer, RegExp][] = [
    ['invalid JSON', '{"type":', /not valid JSON/],
    ['a bare "pong" string (seed sample bug)', 'pong', /not valid JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['non-base64 audio', JSON.stringify({ user_audio_chunk: 'not base64!' }), /not valid base64/],
    ['a numeric audio chunk', JSON.stringify({ user_audio_chunk: 5 }), /base64 string/],
    ['a pong without id', JSON.stringify({ type: 'pong' }), /event_id/],
    ['an object tool result', JSON.stringify({ type: 'client_tool_result', tool_call_id: 'x', result: {}, is_error: false }), /must be a string/],
    ['a binary frame', Buffer.from([1, 2, 3]), /binary/],
  ];
  for (const [name, frame, reason] of bad) {
    it(`closes 1008 on ${name} and keeps serving`, async () => {
      const a = await start();
      const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
      client.ws.send(frame);
      const closed = await client.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(reason);
      expect(client.ofType('error')).toHaveLength(1);
      expect(a.conversations[0]!.violations.at(-1)).toMatchObject({ fatal: true });
      await AgentClient.start(wsUrl(a, 'agent_id=public'));
      expect(a.conversations).toHaveLength(2);
    });
  }

  it('records unknown message types without closing (forward compatibility)', async () => {
    const a = await start();
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
    client.send({ type: 'mcp_tool_approval_result', tool_call_id: 't', is_approved: true });
    const c = a.conversations[0]!;
    await c.waitFor(() => c.unknownMessages.length === 1);
    expect(c.isOpen).toBe(true);
    expect(c.unknownMessages[0]).toMatchObject({ type: 'mcp_tool_approval_result' });
  });

  it('closes 1009 on a frame above maxPayload', async () => {
    const a = await start({ maxPayload: 1024 });
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
    client.sendAudio(new Uint8Array(4096));
    expect((await client.closed).code).toBe(1009);
  });

  it('survives a client that resets its TCP connection', async () => {
    const a = await start();
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
    client.ws.terminate();
    expect(await a.conversations[0]!.closed).toMatchObject({ code: 1006, by: 'client' });
    await AgentClient.start(wsUrl(a, 'agent_id=public'));
  });
});

describe('teardown', () => {
  // Counts of live timers and TCP handles. The runner owns some timers of its own
  // that come and go, so "nothing left" means: no more of any kind than before.
  const resources = () => {
    const live = process.getActiveResourcesInfo();
    return Object.fromEntries(['Timeout', 'TCPServerWrap', 'TCPSocketWrap'].map((k) => [k, live.filter((r) => r === k).length]));
  };

  it('close() ends every conversation with 1001 and leaves no timer or socket', async () => {
    const before = resources();
    const a = await start({ agents: [{ agentId: 'p', requireAuth: false, pingIntervalMs: 10 }] });
    const clients = await Promise.all([1, 2, 3].map(() => AgentClient.start(wsUrl(a, 'agent_id=p'))));
    clients[0]!.autoPong();
    await fetch(`${a.url}/v1/convai/conversation/get-signed-url?agent_id=p`, { headers: { 'xi-api-key': KEY } });
    expect(a.connectionCount).toBe(3);
    await a.close();
    for (const c of clients) expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(a.connectionCount).toBe(0);
    expect(a.conversations.map((c) => c.closeInfo?.by)).toEqual(['server', 'server', 'server']);
    await new Promise((r) => setImmediate(r));
    const after = resources();
    for (const kind of Object.keys(before)) expect(after[kind], kind).toBeLessThanOrEqual(before[kind]!);
    await expect(fetch(a.url)).rejects.toThrow();
  });

  it('close() cuts off a client that never answers the close frame', async () => {
    const a = await start();
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
    client.ws.pause(); // stop reading: the close frame is never answered
    const lag = eventLoopDelay();
    const t0 = performance.now();
    await a.close();
    // The 1 s close deadline, not ws's own 30 s; late only by as much as this loop stalled.
    expect(performance.now() - t0).toBeLessThan(2000 + lag.stop().stalledMs);
    client.ws.terminate();
  });

  it('kill() drops the connection without a close frame', async () => {
    const a = await start();
    const client = await AgentClient.start(wsUrl(a, 'agent_id=public'));
    a.conversations[0]!.kill();
    expect(await client.closed).toEqual({ code: 1006, reason: '' });
    expect(await a.conversations[0]!.closed).toMatchObject({ code: 1006, by: 'server' });
  });
});
