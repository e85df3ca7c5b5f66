/**
 * CLI: run the reference agent locally so the bridge works with no accounts.
 *
 *   npm run agent:reference -- --port 8765 --agent-id demo --format ulaw_8000 \
 *     --mode echo --first-message hello.wav
 *
 * Then point the bridge at it with the printed ELEVENLABS_API_URL.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_AUDIO_FORMATS, isAgentAudioFormat, type AgentAudioFormat } from './formats.js';
import { startReferenceAgent, type ReferenceAgent } from './reference-agent.js';
import type { ReferenceAgentConfig, ReferenceAgentOptions } from './types.js';
import { loadWavClip } from './wav-clip.js';

const USAGE = `Usage: npm run agent:reference -- [options]
  --port N                 listen port (default 8765; 0 = any)
  --host H                 listen address (default 127.0.0.1)
  --agent-id ID            agent id (default demo)
  --format F               both audio formats: ${AGENT_AUDIO_FORMATS.join(' | ')} (default pcm_16000)
  --input-format F         user_input_audio_format (overrides --format)
  --output-format F        agent_output_audio_format (overrides --format)
  --mode echo|scripted     echo the caller, or say --reply lines (default echo)
  --first-message FILE     WAV the agent says first
  --first-message-text T   text sent with it (default "Hello")
  --reply TEXT             scripted reply (repeatable), said after --reply-after-ms of caller audio
  --reply-after-ms N       default 3000
  --require-auth           private agent: only signed URLs may connect
  --api-key KEY            key accepted by get-signed-url (default: any non-empty key)
  --ping-interval-ms N     send pings this often (default 0 = off)`;

export async function parseCli(argv: string[]): Promise<ReferenceAgentOptions> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '8765' },
      host: { type: 'string', default: '127.0.0.1' },
      'agent-id': { type: 'string', default: 'demo' },
      format: { type: 'string', default: 'pcm_16000' },
      'input-format': { type: 'string' },
      'output-format': { type: 'string' },
      mode: { type: 'string', default: 'echo' },
      'first-message': { type: 'string' },
      'first-message-text': { type: 'string', default: 'Hello' },
      reply: { type: 'string', multiple: true, default: [] },
      'reply-after-ms': { type: 'string', default: '3000' },
      'require-auth': { type: 'boolean', default: false },
      'api-key': { type: 'string' },
      'ping-interval-ms': { type: 'string', default: '0' },
    },
  });
  if (v.mode !== 'echo' && v.mode !== 'scripted') throw new Error(`--mode must be echo or scripted, not ${v.mode}`);
  const agent: ReferenceAgentConfig = {
    agentId: v['agent-id'],
    requireAuth: v['require-auth'],
    inputFormat: format(v['input-format'] ?? v.format),
    outputFormat: format(v['output-format'] ?? v.format),
    mode: v.mode,
    pingIntervalMs: count('--ping-interval-ms', v['ping-interval-ms']),
    replies: v.reply.map((text) => ({ text, afterUserAudioMs: count('--reply-after-ms', v['reply-after-ms']) })),
  };
  if (v['api-key']) agent.apiKey = v['api-key'];
  if (v['first-message']) agent.firstMessage = { text: v['first-message-text'], audio: await loadWavClip(v['first-message']) };
  return { port: count('--port', v.port), host: v.host, agents: [agent] };
}

function format(name: string): AgentAudioFormat {
  if (!isAgentAudioFormat(name)) throw new Error(`unknown audio format ${name}; use one of ${AGENT_AUDIO_FORMATS.join(', ')}`);
  return name;
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number ≥ 0, not ${text}`);
  return n;
}

function describe(server: ReferenceAgent, options: ReferenceAgentOptions): string {
  const agent = options.agents[0]!;
  const env = [`ELEVENLABS_API_URL=${server.url}`, `ELEVENLABS_AGENT_ID=${agent.agentId}`];
  if (agent.requireAuth) env.push(`ELEVENLABS_API_KEY=${agent.apiKey ?? 'any-non-empty-key'}`);
  return [
    `Reference agent listening on ${server.url} (${agent.mode} mode, in ${agent.inputFormat}, out ${agent.outputFormat})`,
    'Point the bridge at it with:',
    ...env.map((line) => `  ${line}`),
  ].join('\n');
}

function logConversations(server: ReferenceAgent): void {
  server.on('conversation', (c) => {
    console.log(`conversation ${c.conversationId} started`);
    void c.closed.then(({ code, reason, by }) =>
      console.log(
        `conversation ${c.conversationId} closed by ${by} (${code}${reason ? ` ${reason}` : ''}); ` +
          `heard ${Math.round(c.userAudio.durationMs)} ms of caller audio, ${c.pongs.length} pongs`,
      ),
    );
  });
}

async function main(): Promise<void> {
  let options: ReferenceAgentOptions;
  try {
    options = await parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const server = await startReferenceAgent(options);
  console.log(describe(server, options));
  logConversations(server);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run only as a script, so tests can import parseCli.
const invokedAs = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (import.meta.url === invokedAs) void main();
