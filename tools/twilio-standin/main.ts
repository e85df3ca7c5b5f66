/**
 * CLI: the project's Twilio stand-in as a real command, so the bridge can place
 * calls and run campaigns with no Twilio account (REST Calls API, status
 * callbacks, TwiML, Media Streams to the bridge, <Dial> to simulated operators).
 *
 *   npm run twilio:standin -- --port 8766 --far-ends far-ends.json
 *
 * Then start the bridge with the printed TWILIO_* settings.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { FarEndBehaviour } from './far-end.js';
import { startTwilioStandin, type TwilioStandin, type TwilioStandinOptions } from './rest-server.js';

export const USAGE = `Usage: npm run twilio:standin -- [options]
  --port N               listen port (default 8766; 0 = any free port)
  --host H               listen address (default 127.0.0.1)
  --account-sid AC…      account SID the bridge must use (default AC000…0001)
  --auth-token TOKEN     auth token for REST auth and webhook signatures (default demo-twilio-token-0123456789)
  --far-ends FILE.json   who answers each number: { "+14155550002": { "kind": "busy" }, "*": { "kind": "human" } }
                         kinds: human (ringMs, hangupAfterMs, keys, streamKeys), machine (greetingMs), fax,
                         busy, no-answer, failed (afterMs)
  --ring-ms N            default ring time before a person answers (default 1000)
  --hangup-after-ms N    default: a person hangs up after this long (default: never; the agent ends the call)
  --time-scale X         scales Twilio timeouts (ring Timeout, <Dial timeout>, AMD), default 1`;

export const DEFAULT_ACCOUNT_SID = 'AC' + '0'.repeat(31) + '1';
export const DEFAULT_AUTH_TOKEN = 'demo-twilio-token-0123456789';

export function parseCli(argv: string[]): TwilioStandinOptions | undefined {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '8766' },
      host: { type: 'string', default: '127.0.0.1' },
      'account-sid': { type: 'string', default: DEFAULT_ACCOUNT_SID },
      'auth-token': { type: 'string', default: DEFAULT_AUTH_TOKEN },
      'far-ends': { type: 'string' },
      'ring-ms': { type: 'string', default: '1000' },
      'hangup-after-ms': { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return undefined;
  if (!/^AC[0-9a-fA-F]{32}$/.test(v['account-sid'])) throw new Error(`--account-sid must be AC followed by 32 hex digits, not ${v['account-sid']}`);
  const fallback: FarEndBehaviour = { kind: 'human', ringMs: number('--ring-ms', v['ring-ms']) };
  if (v['hangup-after-ms'] !== undefined) fallback.hangupAfterMs = number('--hangup-after-ms', v['hangup-after-ms']);
  const table = v['far-ends'] ? farEndTable(v['far-ends']) : {};
  const byDefault = table['*'] ?? fallback;
  return {
    port: number('--port', v.port),
    host: v.host,
    accountSid: v['account-sid'],
    authToken: v['auth-token'],
    timeScale: Number(v['time-scale']) > 0 ? Number(v['time-scale']) : 1,
    farEnds: (to) => table[to] ?? byDefault,
  };
}

function farEndTable(path: string): Record<string, FarEndBehaviour> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--far-ends ${path}: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new Error(`--far-ends ${path}: expected an object of number → behaviour`);
  const kinds = new Set(['human', 'machine', 'fax', 'busy', 'no-answer', 'failed']);
  for (const [number, fe] of Object.entries(raw)) {
    if (!kinds.has((fe as { kind?: string })?.kind ?? '')) throw new Error(`--far-ends ${path}: ${number} needs a kind (${[...kinds].join(', ')})`);
  }
  return raw as Record<string, FarEndBehaviour>;
}

function number(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number ≥ 0, not ${text}`);
  return n;
}

export function describeStandin(s: TwilioStandin): string {
  return [
    `Twilio stand-in listening on ${s.url}`,
    'Start the bridge with:',
    `  TWILIO_API_URL=${s.url} TWILIO_ACCOUNT_SID=${s.accountSid} TWILIO_AUTH_TOKEN=${s.authToken} TWILIO_FROM_NUMBER=+14155550000`,
  ].join('\n');
}

async function main(): Promise<void> {
  let options: TwilioStandinOptions | undefined;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!options) return void console.log(USAGE);
  const standin = await startTwilioStandin(options);
  console.log(describeStandin(standin));
  const stop = () => void standin.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) void main();
