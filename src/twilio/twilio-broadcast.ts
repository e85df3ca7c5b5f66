import type { BroadcastSettings, PartialCallPolicy } from '../../config/index.js';
import { BroadcastSession, optOutToDoNotCall } from '../broadcast/broadcast-session.js';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallSession } from '../call/call-session.js';
import type { Logger } from '../logger.js';
import { matchTransferRule } from '../transfer/transfer-request.js';
import type { TtsService } from '../tts/tts-service.js';
import type { StreamStart } from './media-stream-protocol.js';
import { beginTwilioTransfer, createTwilioCallSession, parseJson, type TwilioCallDeps } from './twilio-call.js';
import type { TwilioLeg } from './twilio-leg.js';

export interface TwilioBroadcastDeps extends TwilioCallDeps {
  tts: TtsService;
  registry: CallRegistry;
  onBroadcastEnded: (session: BroadcastSession, outcome: BroadcastOutcome) => void;
}

/** A broadcast call on a Twilio stream: the message comes from the call record the dialer wrote. */
export function createTwilioBroadcastSession(leg: TwilioLeg, start: StreamStart, log: Logger, deps: TwilioBroadcastDeps): BroadcastSession {
  const p = start.customParameters;
  const callId = p.callId!;
  const agentId = p.agentId || deps.config.elevenlabs.agentId || '';
  // The per-call policy the dialer stored (a campaign's recording and machine settings) applies here too.
  const policy = deps.policies.resolve(agentId, parseJson<PartialCallPolicy>(p.policy));
  const recorded = policy.recording === 'on' && deps.recordings ? deps.recordings.record(callId, leg) : leg;
  const broadcast = deps.store.calls.get(callId).then((c) => {
    const b = c?.metadata?.broadcast as unknown as BroadcastSettings | undefined;
    if (!b) throw new Error(`call ${callId} has no broadcast message`);
    return b;
  });
  return new BroadcastSession({
    id: callId, leg: recorded, from: p.from ?? '', to: p.to ?? '', broadcast, answeredBy: p.answeredBy || undefined, tts: deps.tts, log,
    optOut: optOutToDoNotCall(deps.store),
    transfer: (destination) => {
      const rule = matchTransferRule(policy.transfer.rules, destination);
      if (!rule) return false;
      beginTwilioTransfer(callId, start, { destination, source: 'dtmf' }, { rule, mode: rule.mode ?? policy.transfer.defaultMode, policy }, deps);
      return true;
    },
    connectAgent: (chosen) => handToAgent(leg, start, chosen ?? agentId, log, deps),
    onEnded: deps.onBroadcastEnded,
  });
}

/** Menu key "talk to someone": the same leg, now owned by an agent conversation. */
function handToAgent(leg: TwilioLeg, start: StreamStart, agentId: string, log: Logger, deps: TwilioBroadcastDeps): CallSession {
  const { mode: _mode, answeredBy: _answered, ...rest } = start.customParameters;
  const session = createTwilioCallSession(leg, { ...start, customParameters: { ...rest, agentId } }, log, deps);
  deps.registry.remove(session.id);
  deps.registry.add(session);
  session.start();
  return session;
}
