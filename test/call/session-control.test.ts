/**
 * The call's control rules as pure decisions (src/call/session-control.ts):
 * a given key press, transfer request, watchdog reading or answering-machine
 * report, and the action CallSession is told to take. No session is built;
 * the policy is the real resolution of environment defaults plus overrides.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type PartialCallPolicy } from '../../config/index.js';
import { PolicyResolver, type CallPolicy } from '../../src/call/call-policy.js';
import type { WatchdogState } from '../../src/call/call-watchdog.js';
import { decideAnsweringMachine, decideDtmf, decideTransfer, decideWatchdog } from '../../src/call/session-control.js';

const policyWith = (over: PartialCallPolicy = {}): CallPolicy =>
  new PolicyResolver(parseConfig({ TWILIO_SIGNATURE_VALIDATION: 'false' })).resolve('agent-1', over);

const sales = { number: '+15550003333', label: 'sales' };

describe('decideDtmf', () => {
  const dtmf = policyWith({ dtmf: { actions: { '0': { type: 'transfer', destination: 'sales' }, '9': { type: 'hangup' } } } }).dtmf;

  it('a hang-up key ends the call as the caller hanging up', () => {
    expect(decideDtmf('9', 'active', dtmf)).toEqual({ type: 'end', reason: 'caller-hangup', detail: 'caller pressed 9' });
  });

  it('a transfer key asks for a transfer from the keypad', () => {
    expect(decideDtmf('0', 'connecting', dtmf)).toEqual({ type: 'transfer', request: { destination: 'sales', source: 'dtmf' } });
  });

  it('any other key is queued while the agent connects, forwarded while active, ignored while ending', () => {
    expect(decideDtmf('5', 'connecting', dtmf)).toEqual({ type: 'queue' });
    expect(decideDtmf('5', 'active', dtmf)).toEqual({ type: 'forward' });
    expect(decideDtmf('5', 'ending', dtmf)).toEqual({ type: 'ignore' });
  });
});

describe('decideTransfer', () => {
  const policy = policyWith({ transfer: { rules: [sales], defaultMode: 'cold', silent: false } }).transfer;
  const inputs = { state: 'active' as const, canTransfer: true, policy };

  it('an allowed destination by label: the rule, the mode, and end after playback (waiting for the agent it came from)', () => {
    const plan = decideTransfer({ destination: 'Sales', source: 'agent' }, inputs);
    expect(plan).toEqual({
      ok: true, rule: sales, mode: 'cold', to: 'sales', detail: 'transfer (cold) to sales', silent: false, waitForAgent: true,
    });
  });

  it('a request from the API does not wait for agent audio; a silent one says so; its mode wins over the default', () => {
    const plan = decideTransfer({ destination: '+1 555 000 3333', source: 'api', silent: true, mode: 'warm' }, inputs);
    expect(plan).toMatchObject({ ok: true, mode: 'warm', silent: true, waitForAgent: false });
  });

  it('refusals: a destination outside the rules, a call that is ending, a leg that cannot transfer', () => {
    expect(decideTransfer({ destination: '+15559999999', source: 'agent' }, inputs)).toEqual({
      ok: false, code: 'not-allowed', message: 'destination +15559999999 is not allowed; allowed: sales (+15550003333)',
    });
    expect(decideTransfer({ destination: 'sales', source: 'api' }, { ...inputs, state: 'ending' })).toEqual({
      ok: false, code: 'not-active', message: 'call is ending',
    });
    expect(decideTransfer({ destination: 'sales', source: 'api' }, { ...inputs, canTransfer: false })).toMatchObject({ ok: false, code: 'unsupported' });
  });
});

describe('decideWatchdog', () => {
  const policy = policyWith({ mediaTimeoutSeconds: 5, maxDurationSeconds: 60, silenceEndCallTimeoutSeconds: 10 });
  const watch = (over: Partial<WatchdogState> = {}): WatchdogState => ({
    startedAt: 0, lastPhoneFrameAt: 0, lastCallerSpeechAt: 0, agentAudibleUntil: 0, awaitingAgentSince: undefined, ...over,
  });

  it('no media for the media timeout: end at once', () => {
    expect(decideWatchdog(watch(), policy, 'active', 4_999)).toBeUndefined();
    expect(decideWatchdog(watch(), policy, 'active', 5_000)).toEqual({
      finding: 'media-timeout', action: { type: 'end', reason: 'media-timeout', detail: 'no media from the phone side' },
    });
  });

  it('caller silence: the goodbye prompt while active, only a finding while the agent connects', () => {
    const quiet = watch({ lastPhoneFrameAt: 10_000 });
    expect(decideWatchdog(quiet, policy, 'active', 10_000)).toEqual({
      finding: 'silence-timeout', action: { type: 'end-with-prompt', reason: 'silence-timeout', prompt: policy.silenceGoodbye, detail: 'caller silent' },
    });
    expect(decideWatchdog(quiet, policy, 'connecting', 10_000)).toEqual({ finding: 'silence-timeout', action: undefined });
  });

  it('an agent that owes an answer past its timeout has failed; nothing is decided for a call already ending', () => {
    const owed = watch({ lastPhoneFrameAt: 20_000, lastCallerSpeechAt: 20_000, awaitingAgentSince: 20_000 - policy.agentFailure.responseTimeoutMs });
    expect(decideWatchdog(owed, policy, 'active', 20_000)).toEqual({
      finding: 'agent-silent', action: { type: 'agent-failed', detail: 'agent did not answer the caller' },
    });
    expect(decideWatchdog(owed, policy, 'ending', 20_000)).toBeUndefined();
  });
});

describe('decideAnsweringMachine', () => {
  it('follows the policy: hang up, leave the agent\'s message, or connect the agent', () => {
    expect(decideAnsweringMachine('machine_start', { action: 'hangup' })).toEqual({
      type: 'end', reason: 'agent-ended', detail: 'answering machine (machine_start); hung up',
    });
    expect(decideAnsweringMachine('machine_end_beep', { action: 'leave-message' })).toEqual({
      type: 'end-after-playback', reason: 'agent-ended', detail: "answering machine (machine_end_beep); left the agent's message", waitForAgent: true,
    });
    expect(decideAnsweringMachine('machine_start', { action: 'connect-agent' })).toBeUndefined();
  });
});
