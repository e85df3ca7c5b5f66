import { parseArgs } from 'node:util';

export const USAGE = `usage: campaign <command> [options]

commands:
  create --file list.csv --name NAME --agent-id ID [options]   create, print validation, follow progress
  status ID | list | cancel ID [--hangup] | retry ID [--statuses no-answer,busy]
  pause ID | resume ID

common:   --url http://127.0.0.1:8080 (or CAMPAIGN_API_URL)  --token TOKEN (or CAMPAIGN_API_TOKEN)
create:   --window 09:00-18:00 --timezone Europe/Paris --days mon-fri --max-attempts 3
          --retry-delay 600 --amd off|detect|detect-message-end --machine-policy hangup|leave-message|connect-agent
          --message-audio prompts/vm.wav --schedule 2025-07-01T09:00:00Z --region US --strict --no-follow`;

const OPTIONS = {
  url: { type: 'string' }, token: { type: 'string' }, file: { type: 'string' }, name: { type: 'string' },
  'agent-id': { type: 'string' }, window: { type: 'string' }, timezone: { type: 'string' }, days: { type: 'string' },
  'max-attempts': { type: 'string' }, 'retry-delay': { type: 'string' }, amd: { type: 'string' },
  'machine-policy': { type: 'string' }, 'message-audio': { type: 'string' }, schedule: { type: 'string' },
  region: { type: 'string' }, strict: { type: 'boolean' }, 'no-follow': { type: 'boolean' }, hangup: { type: 'boolean' },
  statuses: { type: 'string' }, interval: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export interface CliArgs {
  command: string;
  id?: string;
  values: Record<string, string | boolean | undefined>;
}

export function parseCli(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  return { command: positionals[0] ?? 'help', id: positionals[1], values };
}

/** Multipart form fields for POST /campaigns, from the create options. */
export function createFields(v: CliArgs['values']): Record<string, string> {
  const map: [string, string][] = [
    ['name', 'name'], ['agent-id', 'agent_id'], ['window', 'window'], ['timezone', 'timezone'], ['days', 'days'],
    ['max-attempts', 'max_attempts'], ['retry-delay', 'retry_delay_seconds'], ['amd', 'amd'], ['machine-policy', 'machine_policy'],
    ['message-audio', 'machine_message_audio'], ['schedule', 'schedule'], ['region', 'default_region'],
  ];
  const out: Record<string, string> = {};
  for (const [flag, field] of map) if (typeof v[flag] === 'string') out[field] = v[flag] as string;
  if (v.strict) out.strict = 'true';
  return out;
}
