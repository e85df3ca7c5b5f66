/**
 * Agent events as pure decisions (src/call/session-agent-events.ts): a given
 * event and call view, and the action CallSession is told to take. The view
 * is a plain object; no session, leg or agent socket is involved.
 */
import { describe, expect, it } from 'vitest';
import { decideAgentEvent, transferToolReply, type AgentEventView } from '../../src/call/session-agent-events.js';

const view = (over: Partial<AgentEventView> = {}, unplayedMs = 0): AgentEventView => ({
  acceptsAgentAudio: true,
  lastInterruptId: -1,
  turnQueuedMs: 0,
  policy: { bargeIn: true, endCallToolName: 'end_call', transfer: { toolName: 'transfer_to_number' } },
  leg: { unplayedMs: () => unplayedMs },
  ...over,
});

const toolCall = (toolName: string, parameters: Record<string, unknown> = {}) =>
  ({ type: 'client-tool-call', toolName, toolCallId: 'tc-1', parameters }) as const;

describe('decideAgentEvent', () => {
  it('audio is played while wanted, counted as stale when older than the last interruption, ignored once drained', () => {
    const audio = { type: 'audio', eventId: 4, base64: 'AAAA' } as const;
    expect(decideAgentEvent(audio, view())).toEqual({ type: 'play', base64: 'AAAA' });
    expect(decideAgentEvent(audio, view({ lastInterruptId: 5 }))).toEqual({ type: 'drop-stale' });
    expect(decideAgentEvent(audio, view({ acceptsAgentAudio: false, lastInterruptId: 5 }))).toEqual({ type: 'none' });
  });

  it('an interruption with barge-in: the caller heard what was queued minus what is still unplayed', () => {
    const e = { type: 'interruption', eventId: 7 } as const;
    expect(decideAgentEvent(e, view({ turnQueuedMs: 1000, lastInterruptId: 3 }, 400))).toEqual({
      type: 'interrupt', interruptId: 7, heardMs: 600, queuedMs: 1000,
    });
    // An older interruption id never moves the stale boundary back.
    expect(decideAgentEvent(e, view({ turnQueuedMs: 200, lastInterruptId: 9 }, 500))).toEqual({
      type: 'interrupt', interruptId: 9, heardMs: 0, queuedMs: 200,
    });
  });

  it('an interruption without barge-in is ignored', () => {
    const noBargeIn = view({ policy: { bargeIn: false, endCallToolName: 'end_call', transfer: { toolName: 'transfer_to_number' } } }, 400);
    expect(decideAgentEvent({ type: 'interruption', eventId: 7 }, noBargeIn)).toEqual({ type: 'none' });
  });

  it('transcripts and pings become their own actions', () => {
    expect(decideAgentEvent({ type: 'user-transcript', text: 'hello' }, view())).toEqual({ type: 'caller-said', text: 'hello' });
    expect(decideAgentEvent({ type: 'agent-response', text: 'hi' }, view())).toEqual({ type: 'agent-said', text: 'hi' });
    expect(decideAgentEvent({ type: 'ping', eventId: 12 }, view())).toEqual({ type: 'pong', eventId: 12 });
  });

  it('end_call (system tool response or client tool) ends after playback, waiting for trailing agent audio', () => {
    expect(decideAgentEvent({ type: 'agent-tool-response', toolName: 'end_call', toolCallId: 't', isError: false }, view())).toEqual({
      type: 'end', action: { type: 'end-after-playback', reason: 'agent-ended', detail: 'agent called end_call', waitForAgent: true },
    });
    expect(decideAgentEvent(toolCall('end_call'), view())).toEqual({
      type: 'reply', reply: { toolCallId: 'tc-1', result: 'The call will end after your last words.', isError: false },
      then: { type: 'end-after-playback', reason: 'agent-ended', detail: 'agent called the end_call client tool', waitForAgent: true },
    });
  });

  it('the transfer tool asks for a transfer from the agent; without a number it is answered with an error', () => {
    expect(decideAgentEvent(toolCall('transfer_to_number', { transfer_number: '+15550003333', reason: '', client_message: 'one moment' }), view())).toEqual({
      type: 'transfer', toolCallId: 'tc-1',
      request: { destination: '+15550003333', clientMessage: 'one moment', agentMessage: undefined, reason: undefined, source: 'agent' },
    });
    expect(decideAgentEvent(toolCall('transfer_to_number', { transfer_number: '' }), view())).toEqual({
      type: 'reply', reply: { toolCallId: 'tc-1', result: 'transfer_number is required.', isError: true },
    });
  });

  it('an unknown tool is answered with an error rather than left hanging', () => {
    expect(decideAgentEvent(toolCall('book_table'), view())).toEqual({
      type: 'reply', reply: { toolCallId: 'tc-1', result: 'Unknown tool: book_table. This bridge cannot run it.', isError: true },
    });
  });
});

describe('transferToolReply', () => {
  it('tells the agent where the caller goes, or why not', () => {
    expect(transferToolReply('tc-1', { ok: true, to: 'sales' })).toEqual({ toolCallId: 'tc-1', result: 'Transferring the caller to sales.', isError: false });
    expect(transferToolReply('tc-1', { ok: false, code: 'not-allowed', message: 'no' })).toEqual({
      toolCallId: 'tc-1', result: 'Transfer refused: no. Tell the caller and continue.', isError: true,
    });
  });
});
