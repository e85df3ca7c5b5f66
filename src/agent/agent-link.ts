import type { AgentEvent, ConversationInit } from './elevenlabs-protocol.js';

/** What an agent conversation tells the call. */
export interface AgentLinkHandler {
  onEvent(event: AgentEvent): void;
  onClosed(code: number, reason: string): void;
}

/** An open conversation with a voice agent, whatever its provider. */
export interface AgentLink {
  readonly conversationId: string;
  /** Agent audio formats as the agent announced them, e.g. `pcm_16000`, `ulaw_8000`. */
  readonly inputFormat: string;
  readonly outputFormat: string;
  /** The dynamic variables and overrides the conversation was started with (for the post-call event). */
  readonly clientData?: ConversationInit;
  attach(handler: AgentLinkHandler): void;
  /** Caller audio, base64 in `inputFormat`. Returns false when dropped for backpressure. */
  sendAudio(base64: string): boolean;
  sendPong(eventId: number): void;
  sendToolResult(toolCallId: string, result: string, isError: boolean): void;
  sendContextualUpdate(text: string): void;
  sendUserMessage(text: string): void;
  close(code: number, reason: string): void;
}
