/**
 * The reference agent in echo mode, in its own process so its CPU is not
 * counted as the bridge's. Started by bench/run.ts over IPC:
 *   node --import tsx bench/bridge/agent-process.ts <format> <agentId>
 */
import { startReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import { isAgentAudioFormat } from '../../tools/reference-agent/formats.js';
import type { FromServer } from './messages.js';

/**
 * The bridge delivers the caller audio it buffered while connecting in one
 * burst right after the agent socket opens; echoed, more than the playout
 * lead (200 ms) of it would stay queued in the bridge for the whole call and
 * add to every round trip. Real agents answer speech, they do not echo it.
 */
const ECHO_AFTER_MS = 1000;

const [format = 'pcm_16000', agentId = 'bench'] = process.argv.slice(2);
if (!isAgentAudioFormat(format)) throw new Error(`unknown agent format ${format}`);

const agent = await startReferenceAgent({
  host: '127.0.0.1',
  port: 0,
  agents: [{ agentId, requireAuth: false, inputFormat: format, outputFormat: format, mode: 'echo', echoAfterMs: ECHO_AFTER_MS, recordUserAudio: false }],
});
// Conversations keep their event logs for tests; a bench run does not need them after the call.
agent.on('conversation', (c) => {
  void c.closed.then(() => {
    const i = agent.conversations.indexOf(c);
    if (i >= 0) agent.conversations.splice(i, 1);
  });
});
process.send?.({ type: 'ready', url: agent.url } satisfies FromServer);
const stop = (): void => void agent.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('disconnect', stop);
