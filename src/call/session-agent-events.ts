import type { AgentEvent } from '../agent/elevenlabs-protocol.js';
import type { CallSession } from './call-session.js';

/**
 * What the call does with each agent event. Kept apart from CallSession's
 * lifetime logic; it only uses the session's public surface.
 */
export function handleAgentEvent(s: CallSession, e: AgentEvent): void {
  switch (e.type) {
    case 'audio':
      return onAgentAudio(s, e.eventId, e.base64, e.plain);
    case 'interruption':
      return onInterruption(s, e.eventId);
    case 'ping':
      return s.agent?.sendPong(e.eventId);
    case 'user-transcript':
      s.transcript.add('user', e.text);
      // The caller's turn is over; the agent owes an answer (agent-silent watchdog).
      s.watch.awaitingAgentSince ??= Date.now();
      return;
    case 'agent-response':
      s.transcript.add('agent', e.text);
      s.turnQueuedMs = 0;
      s.watch.awaitingAgentSince = undefined;
      return;
    case 'agent-response-correction':
      return s.transcript.correct(e.original, e.corrected);
    case 'client-tool-call':
      return onClientToolCall(s, e.toolName, e.toolCallId, e.parameters);
    case 'agent-tool-response':
      if (e.toolName === 'end_call') s.endAfterPlayback('agent-ended', 'agent called end_call');
      return;
    case 'error':
      return s.log.warn({ code: e.code, message: e.message }, 'agent reported an error');
    case 'metadata':
    case 'unknown':
      return;
  }
}

function onAgentAudio(s: CallSession, eventId: number, base64: string, plain: boolean): void {
  if (!s.acceptsAgentAudio || !s.downlink) return;
  // Same rule as ElevenLabs' own client: audio older than the last interruption is stale (§4.5).
  if (eventId < s.lastInterruptId) {
    s.opts.metrics.droppedFrames.inc({ direction: 'to-caller', cause: 'stale-after-interruption' });
    return;
  }
  s.noteAgentAudio();
  s.downlink.push(base64, s.sendFrame, s.sendFrameBase64, plain);
}

function onInterruption(s: CallSession, eventId: number): void {
  if (!s.policy.bargeIn) return; // the caller cannot cut this agent short (e.g. disclaimers)
  s.lastInterruptId = Math.max(s.lastInterruptId, eventId);
  s.transcript.interruptLastAgent(Math.max(0, s.turnQueuedMs - s.leg.unplayedMs()), s.turnQueuedMs);
  s.downlink?.reset();
  s.leg.clear();
}

function onClientToolCall(s: CallSession, toolName: string, toolCallId: string, params: Record<string, unknown>): void {
  if (toolName === s.policy.transfer.toolName) return onTransferTool(s, toolCallId, params);
  if (toolName === s.policy.endCallToolName) {
    s.agent?.sendToolResult(toolCallId, 'The call will end after your last words.', false);
    return s.endAfterPlayback('agent-ended', `agent called the ${toolName} client tool`);
  }
  // Never leave a tool call hanging: the agent would wait for its response timeout.
  s.agent?.sendToolResult(toolCallId, `Unknown tool: ${toolName}. This bridge cannot run it.`, true);
}

/** The bridge's transfer tool, with the parameters of ElevenLabs' transfer_to_number system tool. */
function onTransferTool(s: CallSession, toolCallId: string, p: Record<string, unknown>): void {
  const str = (k: string): string | undefined => (typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined);
  const destination = str('transfer_number') ?? str('destination');
  if (!destination) return s.agent?.sendToolResult(toolCallId, 'transfer_number is required.', true);
  const result = s.transfer({
    destination, clientMessage: str('client_message'), agentMessage: str('agent_message'), reason: str('reason'), source: 'agent',
  });
  if (result.ok) s.agent?.sendToolResult(toolCallId, `Transferring the caller to ${result.to}.`, false);
  else s.agent?.sendToolResult(toolCallId, `Transfer refused: ${result.message}. Tell the caller and continue.`, true);
}
