/** Public configuration types of the reference agent. */
import type { ConversationsApiOptions } from './conversations-api.js';
import type { AgentAudioFormat } from './formats.js';

/** A clip of mono PCM16 audio at any rate; converted to the agent's output format. */
export interface PcmClip {
  pcm: Int16Array;
  sampleRate: number;
}

/** Something the agent says: text (sent as `agent_response`) and optional audio. */
export interface Utterance {
  text: string;
  /** Without audio the agent sends a short tone so that something is audible. */
  audio?: PcmClip;
}

export interface ScriptedReply extends Utterance {
  /**
   * Say this reply once the user has sent this many ms of audio since the previous
   * reply (or since the start). Without it, the reply waits for `replyNext()`.
   */
  afterUserAudioMs?: number;
  /** Sent as `user_transcript` just before the reply, like the real service. */
  userTranscript?: string;
  /** After the reply's audio: report `end_call` (§6.3) and optionally close. */
  endCall?: EndCallOptions;
}

export interface EndCallOptions {
  /** Close with 1000 this long after `agent_tool_response`; 0 = at once; omitted = never. */
  closeAfterMs?: number;
  /** Farewell said before the `end_call` tool response (§6.3: farewell first). */
  farewell?: Utterance;
}

export interface AgentSpeechOptions {
  /** Range of chunk durations for agent audio; sizes are never multiples of 20 ms. */
  minChunkMs?: number;
  maxChunkMs?: number;
  /** How much faster than real time agent audio is sent; Infinity = all at once. */
  speed?: number;
}

export interface ReferenceAgentConfig {
  agentId: string;
  /** Key accepted by get-signed-url for this agent; falls back to the server's key. */
  apiKey?: string;
  /** Private agent: the socket needs a valid `conversation_signature` (§4.1). */
  requireAuth: boolean;
  /** Defaults follow §4.6: `pcm_16000` both ways. */
  inputFormat?: AgentAudioFormat;
  outputFormat?: AgentAudioFormat;
  /** `echo` (default): send each user chunk straight back. `scripted`: `replies`. */
  mode?: 'echo' | 'scripted';
  /**
   * Echo: user audio arriving within this many ms of the socket opening is not
   * echoed (default 0). The benchmark skips the caller audio a bridge buffers
   * while the agent connects and delivers in one burst: echoed, that burst
   * would sit in the bridge's playout queue for the whole call.
   */
  echoAfterMs?: number;
  /** Hold `conversation_initiation_metadata` back this long after the client's initiation (a slow agent start). */
  metadataDelayMs?: number;
  firstMessage?: Utterance;
  /** Say `firstMessage` this long after the conversation starts (a real agent's TTS takes time); default 0. */
  firstMessageDelayMs?: number;
  replies?: ScriptedReply[];
  /** Send `ping` this often; 0 or omitted = never. */
  pingIntervalMs?: number;
  /** On `interrupt()`, also send this many audio events with ids BELOW the interruption's. */
  sendStaleAudioAfterInterrupt?: number;
  speech?: AgentSpeechOptions;
  /** Store decoded user audio (default true). The benchmark turns it off to stay cheap. */
  recordUserAudio?: boolean;
  /** How long `clientToolCall()` waits for a result; §6.4 default response_timeout 20 s. */
  clientToolTimeoutMs?: number;
}

export interface ReferenceAgentOptions {
  port?: number;
  host?: string;
  agents: ReferenceAgentConfig[];
  /** Default `xi-api-key` for agents without their own `apiKey`. */
  apiKey?: string;
  /** Signed URL lifetime; §4.1 says 15 minutes. Lower it to test expiry. */
  signedUrlTtlMs?: number;
  /**
   * How a rejected socket (bad signature, unknown agent) is refused: `close` accepts
   * it then closes with 1008 (§4.8: auth errors are 1008), `http` answers the
   * upgrade with 403/404. The bridge should cope with both.
   */
  rejectWith?: 'close' | 'http';
  /** Largest accepted client frame (bytes); ws closes with 1009 above it. */
  maxPayload?: number;
  /** Seed for chunk sizes, so tests are reproducible. */
  seed?: number;
  /**
   * Behave like a server `rttMs` away (e.g. 80 ms to api.elevenlabs.io): a
   * new connection is usable `connectRtts` round trips after it was opened
   * (default 2: TCP, then TLS 1.3), and each HTTP request or WebSocket
   * upgrade is answered one round trip after it could have been sent. Idle
   * HTTP connections are kept for 2 minutes, so a client's keep-alive saves
   * the connection set-up.
   */
  networkDelay?: { rttMs: number; connectRtts?: number };
  /** `GET /v1/convai/conversations/{id}`: analysis timing and faults (changeable later through `conversationsApi.options`). */
  conversations?: ConversationsApiOptions;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Who started the close: this server (`close()`, `kill()`, errors) or the client. */
  by: 'server' | 'client';
}
