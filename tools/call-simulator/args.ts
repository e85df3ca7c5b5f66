/** Command-line options for `npm run simulate`, parsed with node:util parseArgs. */
import { parseArgs } from 'node:util';

export interface CliOptions {
  bridge: string;
  authToken: string;
  inPath?: string;
  outPath?: string;
  seconds: number;
  from: string;
  to: string;
  accountSid?: string;
  voicePath: string;
  params: Record<string, string>;
}

export const USAGE = `Usage: npm run simulate -- --bridge http://127.0.0.1:8080 --auth-token TOKEN [options]

Places one inbound call on the bridge the way Twilio does (signed voice webhook, then the
<Connect><Stream> it answers with), plays the caller's WAV in real time, and records what
the caller heard.

  --bridge URL        The bridge's PUBLIC_URL (signatures cover PUBLIC_URL + path)   (required)
  --auth-token TOKEN  Twilio Auth Token the bridge validates with (or TWILIO_AUTH_TOKEN)
  --in FILE.wav       Caller audio: mono 8 kHz u-law, A-law or 16-bit PCM. Convert others with
                        sox input.mp3 -r 8000 -c 1 -e u-law caller.wav
  --out FILE.wav      Write what the caller heard (16-bit PCM, 8 kHz)
  --seconds N         The caller hangs up after N seconds (default 10)
  --from E164         Caller number (default +15550100001)
  --to E164           Called number (default +15550100002)
  --account-sid AC…   AccountSid to send (default: a random one)
  --voice-path PATH   Voice webhook path (default /twilio/voice)
  --param NAME=VALUE  Extra webhook parameter, repeatable (e.g. --param CallerName=Ada)
  -h, --help          Show this help`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects NAME=VALUE, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** Returns undefined when help was asked for. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        bridge: { type: 'string' },
        'auth-token': { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        seconds: { type: 'string', default: '10' },
        from: { type: 'string', default: '+15550100001' },
        to: { type: 'string', default: '+15550100002' },
        'account-sid': { type: 'string' },
        'voice-path': { type: 'string', default: '/twilio/voice' },
        param: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const authToken = values['auth-token'] ?? env.TWILIO_AUTH_TOKEN;
  if (!values.bridge) throw new UsageError('--bridge is required');
  if (!authToken) throw new UsageError('--auth-token (or TWILIO_AUTH_TOKEN) is required');
  if (!/^https?:\/\//.test(values.bridge)) throw new UsageError(`--bridge must be an http(s) URL, got "${values.bridge}"`);
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--seconds must be a positive number, got "${values.seconds}"`);
  return {
    bridge: values.bridge,
    authToken,
    inPath: values.in,
    outPath: values.out,
    seconds,
    from: values.from,
    to: values.to,
    accountSid: values['account-sid'],
    voicePath: values['voice-path'],
    params: parseParams(values.param),
  };
}
