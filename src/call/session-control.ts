import { describeRules, matchTransferRule, type TransferRequest } from '../transfer/transfer-request.js';
import type { CallSession } from './call-session.js';
import { checkWatchdog, type WatchdogFinding } from './call-watchdog.js';

export type TransferResult = { ok: true; to: string } | { ok: false; code: string; message: string };

/** A key press: a configured action (hang up, transfer) or, by default, news for the agent. */
export function routeDtmf(s: CallSession, digit: string): void {
  s.log.info({ digit }, 'caller pressed a key');
  const action = s.policy.dtmf.actions[digit];
  if (action?.type === 'hangup') return void s.end('caller-hangup', `caller pressed ${digit}`);
  if (action?.type === 'transfer') {
    const result = startTransfer(s, { destination: action.destination, source: 'dtmf' });
    if (!result.ok) s.log.warn({ digit, error: result.message }, 'key press transfer refused');
    return;
  }
  if (s.state === 'connecting') s.earlyDigits.push(digit); // delivered once the agent is there
  else if (s.state === 'active') s.forwardDigit(digit);
}

/**
 * Hands the caller to a person. Only destinations matching the policy's rules
 * are dialled. Unless silent, the caller first hears everything the agent has
 * queued (its words about the transfer), confirmed by a mark.
 */
export function startTransfer(s: CallSession, request: TransferRequest): TransferResult {
  const { rules, defaultMode, silent } = s.policy.transfer;
  if (s.state !== 'active' && s.state !== 'connecting') return { ok: false, code: 'not-active', message: `call is ${s.state}` };
  if (!s.opts.beginTransfer) return { ok: false, code: 'unsupported', message: 'this call cannot be transferred' };
  const rule = matchTransferRule(rules, request.destination);
  if (!rule) {
    return { ok: false, code: 'not-allowed', message: `destination ${request.destination} is not allowed; allowed: ${describeRules(rules)}` };
  }
  const mode = request.mode ?? rule.mode ?? defaultMode;
  s.opts.beginTransfer(s, request, rule, mode);
  const detail = `transfer (${mode}) to ${rule.label ?? rule.number}`;
  if (request.silent ?? silent) {
    s.downlink?.reset();
    s.leg.clear();
    void s.end('transfer', detail);
  } else {
    s.endAfterPlayback('transfer', detail, request.source === 'agent');
  }
  return { ok: true, to: rule.label ?? rule.number };
}

/** About once a second: judge the call's time limits and act on the first one reached. */
export function runWatchdog(s: CallSession): void {
  const now = Date.now();
  const unplayed = s.leg.unplayedMs();
  if (unplayed > 0) s.watch.agentAudibleUntil = now + unplayed;
  const finding = checkWatchdog(s.watch, { ...s.policy, agentResponseTimeoutMs: s.policy.agentFailure.responseTimeoutMs }, now);
  if (finding && s.state !== 'ending' && s.state !== 'ended') onWatchdog(s, finding);
}

function onWatchdog(s: CallSession, finding: WatchdogFinding): void {
  s.log.info({ finding }, 'call limit reached');
  if (finding === 'media-timeout') return void s.end('media-timeout', 'no media from the phone side');
  if (finding === 'agent-silent') return s.agentFailed('agent did not answer the caller');
  if (finding === 'silence-timeout' && s.state !== 'connecting') {
    return s.endWithPrompt('silence-timeout', s.policy.silenceGoodbye, 'caller silent');
  }
  if (finding === 'max-duration') s.endWithPrompt('max-duration', s.policy.maxDurationMessage, 'maximum call duration reached');
}
