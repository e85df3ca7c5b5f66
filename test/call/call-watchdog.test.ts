import { describe, expect, it } from 'vitest';
import { checkWatchdog, type WatchdogState } from '../../src/call/call-watchdog.js';

const limits = { mediaTimeoutMs: 15_000, maxDurationMs: 60_000, silenceEndCallTimeoutMs: 10_000, agentResponseTimeoutMs: 8_000 };
const state = (over: Partial<WatchdogState> = {}): WatchdogState => ({
  startedAt: 0, lastPhoneFrameAt: 0, lastCallerSpeechAt: 0, agentAudibleUntil: 0, awaitingAgentSince: undefined, ...over,
});

describe('call watchdog (fake clock)', () => {
  it('silence counts from the later of caller speech and agent audio, and fires at the limit, not before', () => {
    const s = state({ lastPhoneFrameAt: 19_999, lastCallerSpeechAt: 4_000, agentAudibleUntil: 9_000 });
    expect(checkWatchdog(s, limits, 18_999)).toBeUndefined();
    expect(checkWatchdog(s, limits, 19_000)).toBe('silence-timeout');
  });

  it('is off when the silence timeout is null', () => {
    expect(checkWatchdog(state({ lastPhoneFrameAt: 50_000 }), { ...limits, silenceEndCallTimeoutMs: null }, 50_000)).toBeUndefined();
  });

  it('media inactivity wins over everything else', () => {
    const noSilence = { ...limits, silenceEndCallTimeoutMs: null };
    expect(checkWatchdog(state({ lastPhoneFrameAt: 1_000 }), limits, 16_000)).toBe('media-timeout');
    expect(checkWatchdog(state({ lastPhoneFrameAt: 1_000 }), noSilence, 15_999)).toBeUndefined();
  });

  it('maximum duration', () => {
    const s = state({ lastPhoneFrameAt: 60_000, lastCallerSpeechAt: 59_000 });
    expect(checkWatchdog(s, limits, 59_999)).toBeUndefined();
    expect(checkWatchdog(s, limits, 60_000)).toBe('max-duration');
  });

  it('an agent that owes an answer for too long has failed', () => {
    const s = state({ lastPhoneFrameAt: 20_000, lastCallerSpeechAt: 19_000, awaitingAgentSince: 12_000 });
    expect(checkWatchdog(s, limits, 19_999)).toBeUndefined();
    expect(checkWatchdog(s, limits, 20_000)).toBe('agent-silent');
  });
});
