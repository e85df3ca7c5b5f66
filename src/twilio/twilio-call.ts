import type { Config, PartialCallPolicy, TransferRule } from '../../config/index.js';
import { agentConnector } from '../agent/agent-connector.js';
import type { CallPolicy, PolicyResolver } from '../call/call-policy.js';
import { CallSession } from '../call/call-session.js';
import { createCallerSpeechDetector } from '../media-adapters/caller-speech-detector.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/index.js';
import type { StreamStart } from './media-stream-protocol.js';
import type { TwilioLeg } from './twilio-leg.js';
import type { TransferRequest } from '../transfer/transfer-request.js';
import type { TwilioTransfers } from '../transfer/twilio-transfers.js';
import type { AfterStreamActions } from './after-stream.js';
import { STREAM_TOKEN_PARAM } from './stream-token.js';
import type { Personalizer } from '../personalization/personalizer.js';
import type { Recordings } from '../recording/recordings.js';
import type { ConversationInit } from '../agent/elevenlabs-protocol.js';

/**
 * Dynamic variables every Twilio call gives its agent. ElevenLabs cannot know
 * the phone numbers on a custom bridge (its `system__caller_id` is empty), so
 * we pass them under our own names (documented in README).
 */
export function callVariables(start: StreamStart): Record<string, string> {
  const p = start.customParameters;
  return {
    ...parseJson<Record<string, string>>(p.vars),
    caller_id: p.from ?? '',
    called_number: p.to ?? '',
    call_sid: start.callSid,
    ...(p.transferOutcome ? { transfer_status: p.transferOutcome } : {}),
  };
}

export interface TwilioCallDeps {
  config: Config;
  metrics: Metrics;
  policies: PolicyResolver;
  store: Store;
  transfers: TwilioTransfers;
  afterStream: AfterStreamActions;
  onEnded: (session: CallSession) => void;
  /** The signed URL fetched at the webhook, if any (keyed by CallSid). */
  prefetchedAgentUrl?: (callSid: string, agentId: string) => Promise<string> | undefined;
  personalizer?: Personalizer;
  recordings?: Recordings;
}

/** Builds the session for a Twilio stream: inbound (id = CallSid) or outbound (id = our call id). */
export function createTwilioCallSession(leg: TwilioLeg, start: StreamStart, log: Logger, deps: TwilioCallDeps): CallSession {
  const { config } = deps;
  const p = start.customParameters;
  const agentId = p.agentId || config.elevenlabs.agentId || '';
  const dynamicVariables = callVariables(start);
  const outbound = Boolean(p.callId);
  // Once per call: a retried agent connection reuses the first answer.
  let init: Promise<ConversationInit> | undefined;
  const initData = async (): Promise<ConversationInit> => {
    // Large overrides (system prompts) stay in the call record, not in TwiML parameters.
    const overrides = outbound ? (await deps.store.calls.get(p.callId!))?.metadata?.overrides : undefined;
    const defaults = { dynamicVariables, overrides: (overrides ?? undefined) as Record<string, unknown> | undefined };
    if (outbound || p.resume || !deps.personalizer) return defaults;
    const request = { caller_id: p.from ?? '', agent_id: agentId, called_number: p.to ?? '', call_sid: start.callSid };
    return deps.personalizer.initFor(start.callSid, request, defaults);
  };
  const id = p.callId || start.callSid;
  const policy = deps.policies.resolve(agentId, parseJson<PartialCallPolicy>(p.policy));
  // A call back from a failed transfer keeps its first recording (finished when that part ended);
  // a broadcast handed to an agent goes on in the broadcast's.
  const recorded = deps.recordings && ((policy.recording === 'on' && !p.resume) || deps.recordings.get(id)) ? deps.recordings.record(id, leg) : leg;
  return new CallSession({
    id,
    direction: outbound ? 'outbound' : 'inbound',
    from: p.from ?? '',
    to: p.to ?? '',
    agentId,
    leg: recorded,
    log,
    metrics: deps.metrics,
    policy,
    onEnded: deps.onEnded,
    resumed: Boolean(p.resume),
    initialContextUpdate: p.transferOutcome
      ? `The transfer to a human did not go through (${p.transferOutcome}). The caller is back with you: tell them and offer to help.`
      : undefined,
    beginTransfer: (session, request, rule, mode) => beginTwilioTransfer(session.id, start, request, { rule, mode, policy: session.policy }, deps),
    createSpeechDetector: () => createCallerSpeechDetector(),
    connectAgent: agentConnector(config, log)(agentId, () => (init ??= initData()), () => deps.prefetchedAgentUrl?.(start.callSid, agentId)),
  });
}

/** Leaves the `<Dial>` for Twilio to fetch once the stream closes (our `<Connect action>`). */
export function beginTwilioTransfer(
  callId: string,
  start: StreamStart,
  request: TransferRequest,
  choice: { rule: TransferRule; mode: 'cold' | 'warm'; policy: CallPolicy },
  deps: TwilioCallDeps,
): void {
  const { [STREAM_TOKEN_PARAM]: _token, resume: _resume, transferOutcome: _outcome, ...context } = start.customParameters;
  const { twiml } = deps.transfers.begin({
    callId, callSid: start.callSid, rule: choice.rule, mode: choice.mode, request, context,
    fallback: choice.policy.transfer.fallback, acceptKey: choice.policy.transfer.acceptKey,
  });
  deps.afterStream.set(start.callSid, twiml);
}

export function parseJson<T extends object>(text: string | undefined): T {
  try {
    const v: unknown = JSON.parse(text ?? '{}');
    return (typeof v === 'object' && v !== null ? v : {}) as T;
  } catch {
    return {} as T;
  }
}
