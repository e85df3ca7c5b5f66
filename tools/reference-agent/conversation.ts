/**
 * What the agent can be made to do on demand, and scripted replies. Each action
 * sends exactly the events the real service sends for it (protocols.md §4.3, §6.3).
 */
import { randomBytes } from 'node:crypto';
import { toneClip } from './chunks.js';
import { encodeFromPcm } from './formats.js';
import { ConversationCore } from './conversation-core.js';
import type { ClientToolResult } from './tool-calls.js';
import type { EndCallOptions, Utterance } from './types.js';
import { serverEvent } from './wire.js';

export interface InterruptOptions {
  /** Audio events with ids BELOW the interruption's to send after it (default: agent config). */
  staleAudio?: number;
}

const STALE_CHUNK_MS = 60;

export class Conversation extends ConversationCore {
  private replyIndex = 0;
  private userMsSinceReply = 0;
  private replying = false;

  /** Says an utterance (`agent_response` then odd-sized `audio` chunks). False if cut off. */
  say(utterance: Utterance): Promise<boolean> {
    return this.isOpen ? this.speaker.speak(utterance) : Promise.resolve(false);
  }

  get speaking(): boolean {
    return this.speaker.speaking;
  }

  /** Says the next scripted reply now. Resolves false when there is none or it was cut off. */
  async replyNext(): Promise<boolean> {
    const reply = this.agent.replies?.[this.replyIndex];
    if (!reply) return false;
    this.replyIndex++;
    this.userMsSinceReply = 0;
    this.replying = true;
    try {
      if (reply.userTranscript) this.sendUserTranscript(reply.userTranscript);
      const done = await this.say(reply);
      if (done && reply.endCall) await this.endCall(reply.endCall);
      return done;
    } finally {
      this.replying = false;
    }
  }

  /**
   * The user barged in: stop speaking and send `interruption`. With stale audio,
   * simulate the real race (§4.5): audio generated before the interruption (so with
   * LOWER ids) arrives after it; the bridge must drop it. Returns the interruption id.
   */
  interrupt(options: InterruptOptions = {}): number {
    const unsent = this.speaker.cancel();
    const staleCount = options.staleAudio ?? this.agent.sendStaleAudioAfterInterrupt ?? 0;
    // Reserve the stale ids first so they are lower than the interruption's.
    const staleIds = Array.from({ length: staleCount }, () => ++this.lastEventId);
    const interruptionId = this.sendEvent('interruption', (id) => serverEvent.interruption(id));
    staleIds.forEach((id, i) => {
      const b64 = (unsent[i] ?? this.staleTone()).toString('base64');
      this.sendFrame(serverEvent.audio(b64, id), { type: 'audio', eventId: id, stale: true });
    });
    return interruptionId;
  }

  /** seed L10486ff: the agent's text cut where the user interrupted. */
  sendAgentResponseCorrection(original: string, corrected: string): number {
    return this.sendEvent('agent_response_correction', (id) => serverEvent.agentResponseCorrection(original, corrected, id));
  }

  sendUserTranscript(text: string): number {
    if (this.isOpen) this.recordTurn('user', text);
    return this.sendEvent('user_transcript', (id) => serverEvent.userTranscript(text, id));
  }

  /**
   * §6.3: the agent says its farewell, then reports `agent_tool_response` for the
   * `end_call` system tool. Whether the server then closes with 1000 is not stated
   * (Appendix A #6), so both variants exist: `closeAfterMs` 0, N, or omitted.
   */
  async endCall(options: EndCallOptions = {}): Promise<void> {
    if (options.farewell && !(await this.say(options.farewell))) return;
    if (!this.isOpen) return;
    const toolCallId = `end_call_${randomBytes(8).toString('hex')}`;
    this.sendFrame(serverEvent.agentToolResponse('end_call', toolCallId, 'system', false), { type: 'agent_tool_response' });
    const { closeAfterMs } = options;
    if (closeAfterMs === 0) this.close(1000, 'end_call');
    else if (closeAfterMs !== undefined) this.timers.after(closeAfterMs, () => this.close(1000, 'end_call'));
  }

  /** Sends `client_tool_call`; resolves with the client's `client_tool_result`. */
  clientToolCall(toolName: string, parameters: Record<string, unknown> = {}, timeoutMs?: number): Promise<ClientToolResult> {
    if (!this.isOpen) return Promise.reject(new Error('conversation is not open'));
    const { toolCallId, result } = this.toolCalls.open(toolName, timeoutMs ?? this.agent.clientToolTimeoutMs ?? 20_000);
    this.sendEvent('client_tool_call', (id) => serverEvent.clientToolCall(toolName, toolCallId, parameters, id));
    return result;
  }

  protected override onUserAudioAdded(ms: number): void {
    if (this.agent.mode !== 'scripted') return;
    this.userMsSinceReply += ms;
    const next = this.agent.replies?.[this.replyIndex];
    if (this.replying || next?.afterUserAudioMs === undefined || this.userMsSinceReply < next.afterUserAudioMs) return;
    void this.replyNext();
  }

  private staleTone(): Buffer {
    const { sampleRate } = this.outputFormat;
    return encodeFromPcm(this.outputFormat, toneClip(STALE_CHUNK_MS, sampleRate).pcm);
  }
}
