import type { TransferRule } from '../../config/index.js';
import { describeRules, matchTransferRule, type TransferRequest } from '../transfer/transfer-request.js';
import type { AudioClip } from './audio-clip.js';
import type { CallPolicy } from './call-policy.js';
import { checkWatchdog, type WatchdogFinding, type WatchdogState } from './call-watchdog.js';
import type { EndReason } from './end-reason.js';

/**
 * The call's control rules (key presses, transfers, time limits) as pure
 * decisions. They read plain inputs and return what to do; CallSession, which
 * owns the call's state and timers, applies the decision. Nothing here holds
 * or changes a session.
 */

/** A way to end the call that CallSession carries out (see CallSession.apply). */
export type EndAction =
  | { type: 'end'; reason: EndReason; detail: string }
  | { type: 'end-after-playback'; reason: EndReason; detail: string; waitForAgent: boolean }
  | { type: 'end-with-prompt'; reason: EndReason; prompt: AudioClip | undefined; detail: string }
  | { type: 'agent-failed'; detail: string };

export type CallPhase = 'connecting' | 'active' | 'ending' | 'ended';

export type TransferRefusal = { ok: false; code: string; message: string };
export type TransferResult = { ok: true; to: string } | TransferRefusal;

export type DtmfDecision =
  | EndAction
  | { type: 'transfer'; request: TransferRequest }
  /** Kept until the agent is there, then forwarded. */
  | { type: 'queue' }
  | { type: 'forward' }
  | { type: 'ignore' };

/** A key press: a configured action (hang up, transfer) or, by default, news for the agent. */
export function decideDtmf(digit: string, state: CallPhase, dtmf: CallPolicy['dtmf']): DtmfDecision {
  const action = dtmf.actions[digit];
  if (action?.type === 'hangup') return { type: 'end', reason: 'caller-hangup', detail: `caller pressed ${digit}` };
  if (action?.type === 'transfer') return { type: 'transfer', request: { destination: action.destination, source: 'dtmf' } };
  if (state === 'connecting') return { type: 'queue' };
  return state === 'active' ? { type: 'forward' } : { type: 'ignore' };
}

export interface TransferInputs {
  state: CallPhase;
  /** The leg's provider can hand the call over (CallSessionOptions.beginTransfer). */
  canTransfer: boolean;
  policy: CallPolicy['transfer'];
}

/** An accepted transfer: the rule to dial, and how this call ends meanwhile. */
export interface TransferPlan {
  ok: true;
  rule: TransferRule;
  mode: 'cold' | 'warm';
  to: string;
  detail: string;
  /** End at once, dropping queued audio; otherwise the caller first hears what is queued. */
  silent: boolean;
  /** Wait for the agent's trailing words about the transfer (only when the agent asked for it). */
  waitForAgent: boolean;
}

/**
 * Hands the caller to a person. Only destinations matching the policy's rules
 * are dialled. Unless silent, the caller first hears everything the agent has
 * queued (its words about the transfer), confirmed by a mark.
 */
export function decideTransfer(request: TransferRequest, inputs: TransferInputs): TransferPlan | TransferRefusal {
  const { rules, defaultMode, silent } = inputs.policy;
  if (inputs.state !== 'active' && inputs.state !== 'connecting') return { ok: false, code: 'not-active', message: `call is ${inputs.state}` };
  if (!inputs.canTransfer) return { ok: false, code: 'unsupported', message: 'this call cannot be transferred' };
  const rule = matchTransferRule(rules, request.destination);
  if (!rule) {
    return { ok: false, code: 'not-allowed', message: `destination ${request.destination} is not allowed; allowed: ${describeRules(rules)}` };
  }
  const mode = request.mode ?? rule.mode ?? defaultMode;
  const to = rule.label ?? rule.number;
  return {
    ok: true, rule, mode, to, detail: `transfer (${mode}) to ${to}`,
    silent: request.silent ?? silent, waitForAgent: request.source === 'agent',
  };
}

/**
 * About once a second: judge the call's time limits; the first one reached
 * decides. Undefined when nothing is reached or the call is already ending;
 * a finding with no action is logged only (silence while the agent connects).
 */
export function decideWatchdog(
  watch: Readonly<WatchdogState>, policy: CallPolicy, state: CallPhase, now: number,
): { finding: WatchdogFinding; action: EndAction | undefined } | undefined {
  const finding = checkWatchdog(watch, { ...policy, agentResponseTimeoutMs: policy.agentFailure.responseTimeoutMs }, now);
  if (!finding || state === 'ending' || state === 'ended') return undefined;
  return { finding, action: watchdogAction(finding, policy, state) };
}

function watchdogAction(finding: WatchdogFinding, policy: CallPolicy, state: CallPhase): EndAction | undefined {
  switch (finding) {
    case 'media-timeout':
      return { type: 'end', reason: 'media-timeout', detail: 'no media from the phone side' };
    case 'agent-silent':
      return { type: 'agent-failed', detail: 'agent did not answer the caller' };
    case 'silence-timeout':
      if (state === 'connecting') return undefined;
      return { type: 'end-with-prompt', reason: 'silence-timeout', prompt: policy.silenceGoodbye, detail: 'caller silent' };
    case 'max-duration':
      return { type: 'end-with-prompt', reason: 'max-duration', prompt: policy.maxDurationMessage, detail: 'maximum call duration reached' };
  }
}

/** Answering machine detection reported a machine (outbound calls): the policy decides. */
export function decideAnsweringMachine(answeredBy: string, amd: CallPolicy['answeringMachine']): EndAction | undefined {
  const { action, message } = amd;
  if (action === 'hangup') return { type: 'end', reason: 'agent-ended', detail: `answering machine (${answeredBy}); hung up` };
  if (action !== 'leave-message') return undefined;
  if (message) return { type: 'end-with-prompt', reason: 'agent-ended', prompt: message, detail: `answering machine (${answeredBy}); message left` };
  // No prompt of our own: what the agent is saying is the message; hang up once it has played.
  return { type: 'end-after-playback', reason: 'agent-ended', detail: `answering machine (${answeredBy}); left the agent's message`, waitForAgent: true };
}
