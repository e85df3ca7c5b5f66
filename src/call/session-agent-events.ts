import type { AgentEvent } from '../agent/elevenlabs-protocol.js';
import type { TransferRequest } from '../transfer/transfer-request.js';
import type { CallLeg } from './call-leg.js';
import type { CallPolicy } from './call-policy.js';
import type { EndAction, TransferResult } from './session-control.js';

/**
 * What the call does with each agent event, as a pure decision. CallSession
 * passes a read-only view of itself and applies the action it gets back; this
 * module neither holds nor changes a session.
 */
export interface AgentEventView {
  /** Agent audio is still wanted (the call is active, or ending but not yet drained). */
  readonly acceptsAgentAudio: boolean;
  readonly lastInterruptId: number;
  /** Queued audio of the current agent turn, in ms. */
  readonly turnQueuedMs: number;
  readonly policy: Pick<CallPolicy, 'bargeIn' | 'endCallToolName'> & { readonly transfer: Pick<CallPolicy['transfer'], 'toolName'> };
  readonly leg: Pick<CallLeg, 'unplayedMs'>;
}

export interface ToolReply {
  toolCallId: string;
  result: string;
  isError: boolean;
}

export type AgentAction =
  | { type: 'play'; base64: string }
  /** Audio older than the last interruption: counted, not played. */
  | { type: 'drop-stale' }
  | { type: 'pong'; eventId: number }
  /** The caller's turn is over; the agent owes an answer (agent-silent watchdog). */
  | { type: 'caller-said'; text: string }
  /** The agent answered: its turn starts, nothing is owed any more. */
  | { type: 'agent-said'; text: string }
  | { type: 'agent-corrected'; original: string; corrected: string }
  /** Barge-in: drop queued agent audio; the caller heard `heardMs` of the turn's `queuedMs`. */
  | { type: 'interrupt'; interruptId: number; heardMs: number; queuedMs: number }
  /** Answer a tool call, then (optionally) end the call. */
  | { type: 'reply'; reply: ToolReply; then?: EndAction }
  /** The transfer tool: try the transfer, then answer with `transferToolReply(result)`. */
  | { type: 'transfer'; toolCallId: string; request: TransferRequest }
  | { type: 'end'; action: EndAction }
  | { type: 'warn'; code: string; message: string }
  | { type: 'none' };

const NONE: AgentAction = { type: 'none' };

export function decideAgentEvent(e: AgentEvent, view: AgentEventView): AgentAction {
  switch (e.type) {
    case 'audio':
      return onAgentAudio(view, e.eventId, e.base64);
    case 'interruption':
      return onInterruption(view, e.eventId);
    case 'ping':
      return { type: 'pong', eventId: e.eventId };
    case 'user-transcript':
      return { type: 'caller-said', text: e.text };
    case 'agent-response':
      return { type: 'agent-said', text: e.text };
    case 'agent-response-correction':
      return { type: 'agent-corrected', original: e.original, corrected: e.corrected };
    case 'client-tool-call':
      return onClientToolCall(view, e.toolName, e.toolCallId, e.parameters);
    case 'agent-tool-response':
      if (e.toolName !== 'end_call') return NONE;
      return { type: 'end', action: { type: 'end-after-playback', reason: 'agent-ended', detail: 'agent called end_call', waitForAgent: true } };
    case 'error':
      return { type: 'warn', code: e.code, message: e.message };
    case 'metadata':
    case 'unknown':
      return NONE;
  }
}

function onAgentAudio(view: AgentEventView, eventId: number, base64: string): AgentAction {
  if (!view.acceptsAgentAudio) return NONE;
  // Same rule as ElevenLabs' own client: audio older than the last interruption is stale (§4.5).
  if (eventId < view.lastInterruptId) return { type: 'drop-stale' };
  return { type: 'play', base64 };
}

function onInterruption(view: AgentEventView, eventId: number): AgentAction {
  if (!view.policy.bargeIn) return NONE; // the caller cannot cut this agent short (e.g. disclaimers)
  const queuedMs = view.turnQueuedMs;
  return {
    type: 'interrupt', interruptId: Math.max(view.lastInterruptId, eventId),
    heardMs: Math.max(0, queuedMs - view.leg.unplayedMs()), queuedMs,
  };
}

function onClientToolCall(view: AgentEventView, toolName: string, toolCallId: string, params: Record<string, unknown>): AgentAction {
  if (toolName === view.policy.transfer.toolName) return onTransferTool(toolCallId, params);
  if (toolName === view.policy.endCallToolName) {
    return {
      type: 'reply', reply: { toolCallId, result: 'The call will end after your last words.', isError: false },
      then: { type: 'end-after-playback', reason: 'agent-ended', detail: `agent called the ${toolName} client tool`, waitForAgent: true },
    };
  }
  // Never leave a tool call hanging: the agent would wait for its response timeout.
  return { type: 'reply', reply: { toolCallId, result: `Unknown tool: ${toolName}. This bridge cannot run it.`, isError: true } };
}

/** The bridge's transfer tool, with the parameters of ElevenLabs' transfer_to_number system tool. */
function onTransferTool(toolCallId: string, p: Record<string, unknown>): AgentAction {
  const str = (k: string): string | undefined => (typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined);
  const destination = str('transfer_number') ?? str('destination');
  if (!destination) return { type: 'reply', reply: { toolCallId, result: 'transfer_number is required.', isError: true } };
  const request: TransferRequest = {
    destination, clientMessage: str('client_message'), agentMessage: str('agent_message'), reason: str('reason'), source: 'agent',
  };
  return { type: 'transfer', toolCallId, request };
}

/** What the transfer tool answers the agent, once the transfer was tried. */
export function transferToolReply(toolCallId: string, result: TransferResult): ToolReply {
  if (result.ok) return { toolCallId, result: `Transferring the caller to ${result.to}.`, isError: false };
  return { toolCallId, result: `Transfer refused: ${result.message}. Tell the caller and continue.`, isError: true };
}
