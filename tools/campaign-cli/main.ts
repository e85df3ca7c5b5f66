/**
 * `campaign` CLI: talks to the bridge's campaign API (--url, --token).
 *   tsx tools/campaign-cli/main.ts create --file list.csv --name "July" --agent-id agent_1
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createFields, parseCli, USAGE, type CliArgs } from './args.js';
import { ProgressBar } from './progress-bar.js';

interface Out {
  log(line: string): void;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
}

interface CampaignJson {
  id: string;
  name: string;
  status: string;
  counts: Record<string, number>;
  progress: { total: number; done: number; active: number; pending: number };
}

class ApiError extends Error {}

export async function runCli(argv: string[], out: Out = { log: (l) => console.log(l), stream: process.stdout }, env = process.env): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    out.log(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const base = String(args.values.url ?? env.CAMPAIGN_API_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = (args.values.token as string | undefined) ?? env.CAMPAIGN_API_TOKEN;
  const api = async <T>(method: string, path: string, body?: FormData | object): Promise<T> => {
    const isForm = body instanceof FormData;
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body && !isForm ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(describeError(res.status, json));
    return json as T;
  };
  try {
    return await dispatch(args, api, out);
  } catch (err) {
    out.log(`error: ${(err as Error).message}`);
    return err instanceof ApiError ? 1 : 3;
  }
}

type Api = <T>(method: string, path: string, body?: FormData | object) => Promise<T>;

async function dispatch(args: CliArgs, api: Api, out: Out): Promise<number> {
  const id = encodeURIComponent(args.id ?? '');
  const needId = () => { if (!args.id) throw new ApiError(`${args.command} needs a campaign id`); };
  switch (args.command) {
    case 'create':
      return create(args, api, out);
    case 'list':
      for (const c of (await api<{ campaigns: CampaignJson[] }>('GET', '/campaigns')).campaigns) out.log(`${c.id}  ${c.status.padEnd(9)}  ${c.progress.done}/${c.progress.total}  ${c.name}`);
      return 0;
    case 'status':
      needId();
      printStatus(await api<CampaignJson>('GET', `/campaigns/${id}`), out);
      return 0;
    case 'cancel':
    case 'pause':
    case 'resume':
      needId();
      printStatus(await api<CampaignJson>('POST', `/campaigns/${id}/${args.command}`, args.command === 'cancel' ? { hangup: args.values.hangup === true } : {}), out);
      return 0;
    case 'retry': {
      needId();
      const statuses = typeof args.values.statuses === 'string' ? args.values.statuses.split(',') : undefined;
      const r = await api<{ campaign: CampaignJson; requeued: number }>('POST', `/campaigns/${id}/retry`, statuses ? { statuses } : {});
      out.log(`requeued ${r.requeued} recipients`);
      printStatus(r.campaign, out);
      return 0;
    }
    default:
      out.log(USAGE);
      return args.command === 'help' ? 0 : 2;
  }
}

async function create(args: CliArgs, api: Api, out: Out): Promise<number> {
  const file = args.values.file;
  if (typeof file !== 'string') throw new ApiError('create needs --file list.csv|.xlsx|.json');
  const form = new FormData();
  for (const [k, v] of Object.entries(createFields(args.values))) form.append(k, v);
  form.append('file', new Blob([await readFile(file)]), basename(file));
  const r = await api<{ campaign: CampaignJson; import: { format: string; accepted: number; skippedDnc: number; rejected: number; errors: { rowNumber: number; code: string; reason: string }[]; duplicates: { rowNumber: number; phoneNumber: string; firstRowNumber: number }[] } }>('POST', '/campaigns', form);
  const imp = r.import;
  out.log(`campaign ${r.campaign.id} (${r.campaign.status}): ${imp.accepted} recipients accepted from ${imp.format}, ${imp.rejected} rejected, ${imp.duplicates.length} duplicates, ${imp.skippedDnc} on the do-not-call list`);
  for (const e of imp.errors) out.log(`  row ${e.rowNumber}: ${e.code}: ${e.reason}`);
  for (const d of imp.duplicates) out.log(`  row ${d.rowNumber}: duplicate of row ${d.firstRowNumber} (${d.phoneNumber})`);
  if (args.values['no-follow']) return 0;
  return follow(r.campaign.id, api, out, Number(args.values.interval ?? 1000));
}

/** Polls the campaign and redraws the bar until it is completed or cancelled. */
async function follow(id: string, api: Api, out: Out, everyMs: number): Promise<number> {
  const bar = new ProgressBar(out.stream);
  for (;;) {
    const c = await api<CampaignJson>('GET', `/campaigns/${encodeURIComponent(id)}`);
    bar.update(c.progress, c.status === 'running' ? '' : `(${c.status})`);
    if (c.status === 'completed' || c.status === 'cancelled') {
      bar.finish();
      printStatus(c, out);
      return 0;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function printStatus(c: CampaignJson, out: Out): void {
  const counts = Object.entries(c.counts).filter(([, n]) => n > 0).map(([s, n]) => `${s}=${n}`).join(' ');
  out.log(`${c.id} ${c.name}: ${c.status}, ${c.progress.done}/${c.progress.total} done; ${counts}`);
}

function describeError(status: number, json: unknown): string {
  const e = (json as { error?: { code?: string; message?: string; rowErrors?: { rowNumber: number; reason: string }[] } }).error;
  const rows = e?.rowErrors?.slice(0, 20).map((r) => `\n  row ${r.rowNumber}: ${r.reason}`).join('') ?? '';
  return `${status} ${e?.code ?? 'error'}: ${e?.message ?? 'request failed'}${rows}`;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
