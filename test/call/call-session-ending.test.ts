/**
 * How CallSession ends, on a fake clock: the end-call grace after the agent's
 * last words, trailing agent audio, the final-mark safety timeout, the hold
 * notice while the agent connects, and the agent-failure timeouts (no answer,
 * failed connection) with the retry and hang-up policies. Real session, real
 * policy resolution; in-memory leg and agent ports (fake-ports.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentLink } from '../../src/agent/agent-link.js';
import { FakeAgent, ULAW_SILENCE, endedNow, startCall, type AgentConnector } from './fake-ports.js';

const WATCHDOG_MS = 1000;
const GRACE_MS = 300; // END_CALL_GRACE_MS default
// CallSession's own constants (src/call/call-session.ts).
const AGENT_QUIET_MS = 400;
const FINAL_MARK_SAFETY_MS = 3000;
const HOLD_NOTICE_MS = 2000;
const FALLBACK_MS = 1000; // the built-in fallback tone

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const endCall = (a: FakeAgent): void => a.emit({ type: 'agent-tool-response', toolName: 'end_call', toolCallId: 't1', isError: false });

describe('ending after the agent', () => {
  it('end_call: the last words play whole, then the grace, then the hang-up', async () => {
    const c = startCall();
    await vi.advanceTimersByTimeAsync(1000);
    const agent = c.agents[0]!;
    const t0 = Date.now();
    agent.speak(1000);
    endCall(agent);
    expect(c.session.state).toBe('ending');
    // The agent has AGENT_QUIET_MS to send trailing audio; then the final mark goes out behind the queued audio.
    await vi.advanceTimersByTimeAsync(AGENT_QUIET_MS - 1);
    expect(c.leg.marks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.leg.marks).toEqual(['final']);
    await vi.advanceTimersByTimeAsync(t0 + 1000 + GRACE_MS - 1 - Date.now());
    expect(c.session.state).toBe('ending');
    expect(c.leg.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const s = await endedNow(c);
    expect(s.endReason).toBe('agent-ended');
    expect(s.endDetail).toMatch(/final audio played/);
    expect(s.endedAt! - t0).toBe(1000 + GRACE_MS);
    expect(c.leg.hangups).toEqual(['agent-ended']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('trailing agent audio after end_call is still played before the hang-up', async () => {
    const c = startCall();
    await vi.advanceTimersByTimeAsync(1000);
    const agent = c.agents[0]!;
    const t0 = Date.now();
    agent.speak(1000, 1);
    endCall(agent);
    await vi.advanceTimersByTimeAsync(200);
    agent.speak(500, 2); // arrives inside the quiet window: accepted, and the window restarts
    await vi.advanceTimersByTimeAsync(AGENT_QUIET_MS);
    expect(c.leg.marks).toEqual(['final']);
    expect(c.leg.sent.length).toBe((1000 + 500) / 20);
    await vi.advanceTimersByTimeAsync(t0 + 1500 + GRACE_MS - Date.now());
    const s = await endedNow(c);
    expect(s.endReason).toBe('agent-ended');
    expect(s.endedAt! - t0).toBe(1500 + GRACE_MS);
  });

  it('a final mark the provider never confirms: hang up after the queued audio plus the safety margin', async () => {
    const c = startCall();
    c.leg.confirmMarks = false;
    await vi.advanceTimersByTimeAsync(1000);
    const agent = c.agents[0]!;
    const t0 = Date.now();
    agent.speak(800);
    agent.closeFromAgent(1000, 'bye'); // the agent ended the conversation (normal close)
    await vi.advanceTimersByTimeAsync(800 + FINAL_MARK_SAFETY_MS - 1);
    expect(c.session.state).toBe('ending');
    await vi.advanceTimersByTimeAsync(1);
    const s = await endedNow(c);
    expect(s.endReason).toBe('agent-ended');
    expect(s.endDetail).toMatch(/final mark not confirmed in time/);
    expect(s.endedAt! - t0).toBe(800 + FINAL_MARK_SAFETY_MS);
  });

  it('end runs once: a second end and the leg reporting its own end change nothing', async () => {
    const c = startCall();
    await vi.advanceTimersByTimeAsync(100);
    const first = c.session.end('caller-hangup', 'caller hung up');
    const second = c.session.end('error', 'late error');
    expect(second).toBe(first);
    await first;
    expect(c.session.endReason).toBe('caller-hangup');
    expect(c.leg.hangups).toEqual(['caller-hangup']); // FakeLeg.hangup also reported onEnded back
    expect(c.agents[0]!.closed).toEqual({ code: 1000, reason: 'caller hung up' });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('agent failures', () => {
  /** A connection that never completes (until the call aborts it). */
  const never: AgentConnector = (_n, _retry, signal) =>
    new Promise<AgentLink>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));

  it('a slow agent connection: the caller hears the hold notice after 2 s, not before', async () => {
    const c = startCall({ connect: never });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(HOLD_NOTICE_MS - 1);
    expect(c.leg.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.leg.sent.length).toBe(FALLBACK_MS / 20);
    expect(c.session.state).toBe('connecting');
    stop();
    await c.session.end('caller-hangup', 'test over');
  });

  it('a failed connection with policy hangup: the fallback plays whole, then the grace, then agent-failed', async () => {
    const c = startCall({ connect: async () => Promise.reject(new Error('503 from agent')) });
    await vi.advanceTimersByTimeAsync(0);
    expect(c.session.state).toBe('ending');
    expect(c.leg.sent.length).toBe(FALLBACK_MS / 20);
    await vi.advanceTimersByTimeAsync(FALLBACK_MS + GRACE_MS - 1);
    expect(c.session.state).toBe('ending');
    await vi.advanceTimersByTimeAsync(1);
    const s = await endedNow(c);
    expect(s.endReason).toBe('agent-failed');
    expect(s.endedAt! - s.startedAt).toBe(FALLBACK_MS + GRACE_MS);
  });

  it('an agent that does not answer within the response timeout is retried once, then the call ends agent-failed', async () => {
    const c = startCall({ policy: { agentFailure: { policy: 'retry', responseTimeoutSeconds: 3 } } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(500);
    const first = c.agents[0]!;
    first.emit({ type: 'user-transcript', text: 'hello?' });
    const askedAt = Date.now();
    await vi.advanceTimersByTimeAsync(3000 - 1);
    expect(c.connects).toEqual([false]);
    expect(c.leg.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(WATCHDOG_MS);
    // Judged at the first watchdog tick 3 s or more after the question: fallback at once, agent dropped, retried.
    expect(first.closed?.code).toBe(1011);
    const fallbackAt = c.leg.sent[0]!.at - askedAt;
    expect(fallbackAt).toBeGreaterThanOrEqual(3000);
    expect(fallbackAt).toBeLessThan(3000 + WATCHDOG_MS);
    expect(c.connects).toEqual([false, true]);
    expect(c.session.state).toBe('active');
    const second = c.agents[1]!;
    expect(second.updates.some((u) => /cut off/.test(u))).toBe(true);

    second.emit({ type: 'user-transcript', text: 'are you there?' });
    await vi.advanceTimersByTimeAsync(3000 + WATCHDOG_MS);
    expect(c.session.state).toBe('ending');
    await vi.advanceTimersByTimeAsync(FALLBACK_MS + GRACE_MS);
    const s = await endedNow(c);
    stop();
    expect(s.endReason).toBe('agent-failed');
    expect(s.endDetail).toMatch(/did not answer/);
    expect(c.connects).toEqual([false, true]); // one retry only
  });

  it('an answer in time clears the response timeout', async () => {
    const c = startCall({ policy: { agentFailure: { policy: 'retry', responseTimeoutSeconds: 3 } } });
    const stop = c.leg.stream(() => ULAW_SILENCE);
    await vi.advanceTimersByTimeAsync(500);
    const agent = c.agents[0]!;
    for (let turn = 0; turn < 5; turn++) {
      agent.emit({ type: 'user-transcript', text: `question ${turn}` });
      await vi.advanceTimersByTimeAsync(2500);
      agent.emit({ type: 'agent-response', text: `answer ${turn}` });
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(c.connects).toEqual([false]);
    expect(agent.closed).toBeUndefined();
    stop();
    await c.session.end('caller-hangup', 'test over');
  });
});
