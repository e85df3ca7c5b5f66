/**
 * `npm run demo:transfer` and `npm run demo:broadcast`: one command each that
 * exercises a capability of the running demo (`npm run demo`) through the
 * bridge's public HTTP API, printing what happens.
 *
 *   tsx tools/demo/try.ts transfer|broadcast [--url http://127.0.0.1:8080] [--token TOKEN]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_AGENT_ID, DEMO_API_TOKEN, OPT_OUT_NUMBER, TRANSFER_CALLER } from './demo-set.js';

type Json = Record<string, any>;
type Api = (method: string, path: string, body?: object | FormData) => Promise<Json>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(base: string, token: string): Api {
  return async (method, path, body) => {
    const form = body instanceof FormData;
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body && !form ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as Json;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.message ?? ''}`);
    return json;
  };
}

/** Waits (bounded) for `check` to return something. */
async function until<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An outbound call to a simulated customer, handed by the API to the simulated operator (warm transfer). */
export async function tryTransfer(api: Api, log: (l: string) => void): Promise<Json> {
  const { id } = await api('POST', '/calls', { to: TRANSFER_CALLER, agent_id: DEMO_AGENT_ID });
  log(`call ${id} placed to ${TRANSFER_CALLER}`);
  await until('the call to be answered', 30, async () => ((await api('GET', `/calls/${id}`)).state === 'active' ? true : undefined));
  log('answered; the agent is talking. Transferring to "operator" (warm: the operator hears a whisper and presses 1)');
  const t = await api('POST', `/calls/${id}/transfer`, { destination: 'operator', mode: 'warm', agent_message: 'A customer asks about an order.' });
  log(`transfer requested to ${t.to}`);
  const transfer = await until('the transfer outcome', 60, async () => {
    const call = await api('GET', `/calls/${id}`);
    return call.metadata?.transfer?.outcome ? (call.metadata.transfer as Json) : undefined;
  });
  log(`transfer outcome: ${transfer.outcome}`);
  return transfer;
}

/** A broadcast campaign: three people hear a message; one presses 9 and joins the do-not-call list. */
export async function tryBroadcast(api: Api, log: (l: string) => void): Promise<{ campaign: Json; optedOut: boolean }> {
  const form = new FormData();
  form.set('name', 'Demo broadcast');
  form.set('type', 'broadcast');
  form.set('broadcast', JSON.stringify({
    message: 'Hello {{name}}, this is a demo broadcast from voice bridge. Press 9 to stop these calls.',
    menu: { keys: { 9: { action: 'opt-out' } }, timeout_seconds: 4, attempts: 1 },
  }));
  const csv = readFileSync(fileURLToPath(new URL('broadcast.csv', import.meta.url)));
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'broadcast.csv');
  const created = await api('POST', '/campaigns', form);
  const id = created.campaign.id as string;
  log(`broadcast campaign ${id}: ${created.import.accepted} recipients`);
  let last = '';
  const campaign = await until('the broadcast to finish', 120, async () => {
    const c = await api('GET', `/campaigns/${id}`);
    const line = `${c.status}: ${c.progress.done}/${c.progress.total} done`;
    if (line !== last) log((last = line));
    return c.status === 'completed' ? c : undefined;
  });
  const dnc = await api('GET', '/dnc?limit=1000');
  const optedOut = (dnc.entries as Json[]).some((e) => e.phoneNumber === OPT_OUT_NUMBER);
  log(optedOut ? `${OPT_OUT_NUMBER} pressed 9 and is now on the do-not-call list` : `${OPT_OUT_NUMBER} is not on the do-not-call list`);
  return { campaign, optedOut };
}

async function main(): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: process.argv.slice(2), allowPositionals: true, strict: true,
    options: { url: { type: 'string', default: 'http://127.0.0.1:8080' }, token: { type: 'string', default: DEMO_API_TOKEN } },
  });
  const api = client(v.url.replace(/\/+$/, ''), v.token);
  const log = (l: string) => console.log(l);
  switch (positionals[0]) {
    case 'transfer':
      return (await tryTransfer(api, log)).outcome === 'connected' ? 0 : 1;
    case 'broadcast':
      return (await tryBroadcast(api, log)).optedOut ? 0 : 1;
    default:
      console.error('usage: tsx tools/demo/try.ts transfer|broadcast [--url URL] [--token TOKEN]');
      return 2;
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
