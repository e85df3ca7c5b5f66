import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import type { AgentLink } from './agent-link.js';
import { connectElevenLabsAgent } from './elevenlabs-agent.js';
import type { ConversationInit } from './elevenlabs-protocol.js';

/**
 * How every leg kind opens its agent conversation: ElevenLabs, configured
 * once. `prefetched` hands over a signed URL fetched while the call was set
 * up (see signed-url-prefetch.ts); it is asked on every attempt and gives a
 * URL at most once (a reconnect needs a new one).
 */
export function agentConnector(config: Config, log: Logger) {
  return (agentId: string, init: () => Promise<ConversationInit> | ConversationInit, prefetched?: () => Promise<string> | undefined) =>
    async (signal: AbortSignal): Promise<AgentLink> => {
      const prefetchedUrl = prefetched?.();
      return connectElevenLabsAgent({
        apiUrl: config.elevenlabs.apiUrl,
        apiKey: config.elevenlabs.apiKey,
        agentId,
        // Not awaited: the conversation opens while the init data (personalization) is still coming.
        init: Promise.resolve().then(init),
        timeoutMs: config.elevenlabs.connectTimeoutMs,
        signal,
        log,
        prefetchedUrl,
        httpKeepAliveMs: config.elevenlabs.httpKeepAliveMs,
      });
    };
}
