/**
 * ElevenLabs' analysis in the post-call event (protocols.md §4.10): with
 * ELEVENLABS_API_KEY set, the event waits (at most
 * POST_CALL_ANALYSIS_WAIT_SECONDS) for `GET /v1/convai/conversations/{id}` to
 * say `done`, and carries its `analysis` and transcript. The reference agent
 * serves that endpoint over real HTTP (tools/reference-agent/conversations-api.ts),
 * with `xi-api-key`, `processing` for N polls, faults (500, no answer) and a key
 * that may not read conversations. Whatever happens there, the event goes out,
 * signed, by the bound, and the key is in no log line.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { ConversationsApiOptions } from '../../tools/reference-agent/conversations-api.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { startHarness, XI_API_KEY, type Harness } from '../support/bridge-harness.js';
import { placeCall } from '../support/call-helpers.js';
import { toneInt16 } from '../support/signal.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';
import { startReceiver, type Received, type Receiver } from './receiver.js';

const SECRET = 'whsec_analysis_test_key';
const ANALYSIS_POLL_MS = 100;

let harness: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await harness?.close();
  await receiver?.close();
  harness = receiver = undefined;
});

interface Run {
  h: Harness;
  conv: Conversation;
  event: Received;
  /** When the call ended and when its event was delivered (the outbox row's times, epoch ms). */
  createdAt: number;
  deliveredAt: number;
  /** Wall-clock times of the conversation GETs the stand-in got, and their answers (0 = never answered). */
  gets: Array<{ at: number; status: number }>;
  logs: string;
  /** How late this process (bridge, stand-ins and test) ran meanwhile: timing bounds widen by it. */
  lagMs: number;
}

/** One inbound call with an agent line and a user line, hung up by the caller; returns its delivered event. */
async function oneCall(waitSeconds: number, conversations: ConversationsApiOptions): Promise<Run> {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  receiver = await startReceiver({ secret: SECRET });
  harness = await startHarness(
    { mode: 'scripted' },
    { POST_CALL_WEBHOOK_URL: receiver.url, POST_CALL_WEBHOOK_SECRET: SECRET, POST_CALL_ANALYSIS_WAIT_SECONDS: String(waitSeconds) },
    {}, { webhookDelivery: { pollMs: 20, analysisPollMs: ANALYSIS_POLL_MS } }, [], { conversations }, createLogger('debug', sink),
  );
  const h = harness;
  const lag = eventLoopDelay();
  const { call, conv, ended } = await placeCall(h);
  await conv.started;
  await conv.say({ text: 'Hello, this is the clinic calling about your appointment.', audio: { pcm: toneInt16(440, 16000, 0.3, 8000), sampleRate: 16000 } });
  conv.sendUserTranscript('Yes, I can come on Tuesday.');
  // The caller hears the agent: the bridge has its conversation (and the agent's line, sent before the audio on that socket).
  await waitFor(() => call.stream?.recorder.received.some((r) => r.event === 'media'), { timeoutMs: 30_000, what: 'agent audio at the caller' });
  await call.hangup();
  await ended;
  await receiver.waitFor((r) => r.accepted().length === 1, waitSeconds * 1000 + 20_000);
  const row = await waitFor(async () => (await h.store.outbox.list({ status: ['delivered'] }))[0], { what: 'the delivered outbox row' });
  const lagMs = lag.stop().maxMs;
  // The stand-in stamps requests on the performance clock, the outbox row on Date.now(): put them on one
  // clock (the two drift apart by milliseconds over a process's life).
  const skew = Date.now() - (performance.timeOrigin + performance.now());
  const gets = h.agent.httpRequests
    .filter((q) => q.path.startsWith('/v1/convai/conversations/'))
    .map((q) => ({ at: performance.timeOrigin + q.at + skew, status: q.status }));
  expect(receiver.rejectedSignatures).toEqual([]);
  return { h, conv, event: receiver.accepted()[0]!, createdAt: row.createdAt, deliveredAt: row.deliveredAt!, gets, logs: lines.join(''), lagMs };
}

function expectNoKeyInLogs(run: Run): void {
  expect(run.logs.length).toBeGreaterThan(0); // the sink really got the bridge's log lines
  expect(run.logs).not.toContain(XI_API_KEY);
}

describe('post-call event with ElevenLabs analysis', () => {
  async function expectAnalysed(run: Run): Promise<void> {
    const { data } = run.event.event;
    expect(run.event.event.type).toBe('post_call_transcription');
    expect(data.conversation_id).toBe(run.conv.conversationId);
    // What the stand-in serves for the conversation now (done): the event has exactly that.
    const res = await fetch(`${run.h.agent.url}/v1/convai/conversations/${run.conv.conversationId}`, { headers: { 'xi-api-key': XI_API_KEY } });
    const record = (await res.json()) as { status: string; analysis: Record<string, any>; transcript: unknown[] };
    expect(record.status).toBe('done');
    expect(data.analysis).toEqual(record.analysis);
    expect(data.analysis.transcript_summary).toContain(run.conv.conversationId);
    expect(data.analysis).toMatchObject({ call_successful: 'success', evaluation_criteria_results: { agent_spoke: { result: 'success' } } });
    expect(data.transcript).toEqual(record.transcript);
    expect(data.transcript.map((t: { role: string; message: string }) => [t.role, t.message])).toEqual([
      ['agent', 'Hello, this is the clinic calling about your appointment.'],
      ['user', 'Yes, I can come on Tuesday.'],
    ]);
    // It asked until done: 3 × processing (plus any in-progress while the socket closed), then done.
    const answered = run.gets.filter((g) => g.status === 200);
    expect(answered.length).toBeGreaterThanOrEqual(4);
    expect(run.h.agent.conversationsApi.polls.get(run.conv.conversationId)).toBeGreaterThanOrEqual(4);
    console.info(`analysis after ${run.gets.length} GETs; event delivered ${run.deliveredAt - run.createdAt} ms after the call ended`);
    expectNoKeyInLogs(run);
  }

  it('analysis done after 3 processing polls: the event carries it and the agent-side transcript', { timeout: 60_000 }, async () => {
    await expectAnalysed(await oneCall(30, { processingPolls: 3 }));
  });

  it('500 twice, then processing: a passing fault is asked again and the analysis still arrives', { timeout: 60_000 }, async () => {
    const run = await oneCall(30, { failWith: 500, failTimes: 2, processingPolls: 3 });
    expect(run.gets.slice(0, 2).map((g) => g.status)).toEqual([500, 500]);
    await expectAnalysed(run);
  });

  const faults: Array<[string, ConversationsApiOptions]> = [
    ['never finishes', { processingPolls: Infinity }],
    ['answers 500', { failWith: 500 }],
    ['never answers', { hang: true }],
  ];
  for (const [what, conversations] of faults) {
    it(`the analysis ${what}: the event goes out with analysis null by the bound`, { timeout: 60_000 }, async () => {
      const BOUND_MS = 2000;
      const run = await oneCall(BOUND_MS / 1000, conversations);
      const { data } = run.event.event;
      expect(run.event.event.type).toBe('post_call_transcription');
      expect(data.analysis).toBeNull();
      // Our own transcript stays.
      expect(data.transcript.map((t: { message: string }) => t.message)).toContain('Hello, this is the clinic calling about your appointment.');
      expect(run.gets.length).toBeGreaterThanOrEqual(1);
      // It asked nothing once the bound had passed. A request sent just before it reaches the stand-in
      // one loopback write and one read later, each of which may wait out a stall of our event loop.
      for (const g of run.gets) expect(g.at).toBeLessThan(run.createdAt + BOUND_MS + 2 * run.lagMs);
      // It waited: the last poll is at most one poll period before the bound.
      const waited = run.deliveredAt - run.createdAt;
      expect(waited).toBeGreaterThanOrEqual(BOUND_MS - ANALYSIS_POLL_MS - 50);
      // A request is cut at the bound, not after its own 5 s timeout (which alone would be 3 s past it);
      // then one outbox poll (20 ms) and one delivery on loopback, plus however late we ran.
      expect(waited).toBeLessThan(BOUND_MS + 1000 + run.lagMs);
      if (what === 'answers 500') expect(run.gets.every((g) => g.status === 500)).toBe(true);
      if (what === 'never answers') expect(run.gets.every((g) => g.status === 0)).toBe(true);
      console.info(`analysis ${what}: ${run.gets.length} GETs, event delivered ${waited} ms after the call ended (bound ${BOUND_MS} ms, event loop up to ${Math.round(run.lagMs)} ms late)`);
      expectNoKeyInLogs(run);
    });
  }

  it('a key that may not read conversations: one refused GET, the event goes out at once, the key is never logged', { timeout: 60_000 }, async () => {
    const BOUND_S = 30;
    const run = await oneCall(BOUND_S, { apiKey: 'xi-key-with-history-permission' });
    expect(run.event.event.data.analysis).toBeNull();
    expect(run.gets).toEqual([{ at: expect.any(Number), status: 401 }]);
    // Not held for the 30 s bound.
    expect(run.deliveredAt - run.createdAt).toBeLessThan(BOUND_S * 1000 / 2);
    expect(run.logs).toContain('ElevenLabs refused the conversation request');
    expectNoKeyInLogs(run);
  });
});
