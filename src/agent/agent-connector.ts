import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import type { AgentLink } from './agent-link.js';
import { connectElevenLabsAgent } from './elevenlabs-agent.js';
import type { ConversationInit } from './elevenlabs-protocol.js';

/** How every leg kind opens its agent conversation: ElevenLabs, configured once. */
export function agentConnector(config: Config, log: Logger) {
  return (agentId: string, init: () => Promise<ConversationInit> | ConversationInit) =>
    async (signal: AbortSignal): Promise<AgentLink> =>
      connectElevenLabsAgent({
        apiUrl: config.elevenlabs.apiUrl,
        apiKey: config.elevenlabs.apiKey,
        agentId,
        // Not awaited: the conversation opens while the init data (personalization) is still coming.
        init: Promise.resolve().then(init),
        timeoutMs: config.elevenlabs.connectTimeoutMs,
        signal,
        log,
      });
}
