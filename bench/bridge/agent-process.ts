/**
 * The reference agent for the benchmark, in its own process so its CPU is not
 * counted as the bridge's. Started by bench/run.ts over IPC:
 *   node --import tsx bench/bridge/agent-process.ts <format> <agentId> [echo|talker|first-words]
 *
 * - echo (default): sends each user chunk straight back (round trip markers).
 * - talker: talks like a real agent (talker.ts): utterances in bursts of
 *   100-250 ms chunks, 4x faster than real time, about 40 % of the time,
 *   some cut off by an interruption; the caller talks all along.
 * - first-words: a private agent (signed URL) 80 ms away (networkDelay) that
 *   says its first message 300 ms after the conversation starts.
 */
import { startReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import { isAgentAudioFormat } from '../../tools/reference-agent/formats.js';
import type { ReferenceAgentConfig, ReferenceAgentOptions } from '../../tools/reference-agent/types.js';
import type { FromServer } from './messages.js';
import { FIRST_WORDS, talk, TALKER_SPEECH } from './talker.js';

/**
 * The bridge delivers the caller audio it buffered while connecting in one
 * burst right after the agent socket opens; echoed, more than the playout
 * lead (200 ms) of it would stay queued in the bridge for the whole call and
 * add to every round trip. Real agents answer speech, they do not echo it.
 */
const ECHO_AFTER_MS = 1000;

const [format = 'pcm_16000', agentId = 'bench', mode = 'echo'] = process.argv.slice(2);
if (!isAgentAudioFormat(format)) throw new Error(`unknown agent format ${format}`);
if (mode !== 'echo' && mode !== 'talker' && mode !== 'first-words') throw new Error(`unknown agent mode ${mode}`);

const base: ReferenceAgentConfig = { agentId, requireAuth: false, inputFormat: format, outputFormat: format, recordUserAudio: false };
const modes: Record<string, { agent: ReferenceAgentConfig; server?: Partial<ReferenceAgentOptions> }> = {
  echo: { agent: { ...base, mode: 'echo', echoAfterMs: ECHO_AFTER_MS } },
  talker: { agent: { ...base, mode: 'scripted', speech: TALKER_SPEECH } },
  'first-words': {
    agent: { ...base, mode: 'scripted', requireAuth: true, firstMessage: { text: 'Hello, how can I help you today?' }, firstMessageDelayMs: FIRST_WORDS.firstMessageDelayMs },
    server: { apiKey: FIRST_WORDS.apiKey, networkDelay: { rttMs: FIRST_WORDS.rttMs } },
  },
};
const chosen = modes[mode]!;
const agent = await startReferenceAgent({ host: '127.0.0.1', port: 0, ...chosen.server, agents: [chosen.agent] });
// Conversations keep their event logs for tests; a bench run does not need them after the call.
agent.on('conversation', (c) => {
  if (mode === 'talker') void talk(c);
  void c.closed.then(() => {
    const i = agent.conversations.indexOf(c);
    if (i >= 0) agent.conversations.splice(i, 1);
  });
});
process.send?.({ type: 'ready', url: agent.url } satisfies FromServer);
const stop = (): void => void agent.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('disconnect', stop);
