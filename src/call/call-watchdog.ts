import type { CallPolicy } from './call-policy.js';

/** The times a call's watchdog judges by, all in ms on one clock. */
export interface WatchdogState {
  startedAt: number;
  /** Last frame from the phone side, whatever it carried. */
  lastPhoneFrameAt: number;
  /** Last moment the caller was speaking (voice activity, not packet arrival). */
  lastCallerSpeechAt: number;
  /** Until when agent audio is (estimated to be) playing to the caller. */
  agentAudibleUntil: number;
  /** Since when the caller has been waiting for the agent's answer, if they are. */
  awaitingAgentSince: number | undefined;
}

export type WatchdogFinding = 'media-timeout' | 'max-duration' | 'silence-timeout' | 'agent-silent';

type Limits = Pick<CallPolicy, 'mediaTimeoutMs' | 'maxDurationMs' | 'silenceEndCallTimeoutMs'> & {
  agentResponseTimeoutMs: number;
};

/**
 * Pure check of a call's time limits, run about once a second. Silence counts
 * only while neither side is audible: a caller listening to a long answer is
 * not silent (ElevenLabs' silence_end_call_timeout has the same meaning).
 */
export function checkWatchdog(s: WatchdogState, limits: Limits, now: number): WatchdogFinding | undefined {
  if (now - s.lastPhoneFrameAt >= limits.mediaTimeoutMs) return 'media-timeout';
  if (limits.maxDurationMs !== null && now - s.startedAt >= limits.maxDurationMs) return 'max-duration';
  if (s.awaitingAgentSince !== undefined && now - s.awaitingAgentSince >= limits.agentResponseTimeoutMs) return 'agent-silent';
  if (limits.silenceEndCallTimeoutMs !== null) {
    const quietSince = Math.max(s.startedAt, s.lastCallerSpeechAt, s.agentAudibleUntil);
    if (now - quietSince >= limits.silenceEndCallTimeoutMs) return 'silence-timeout';
  }
  return undefined;
}
