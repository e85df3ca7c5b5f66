/** The campaign HTTP API and the CLI on top of it, with an engine whose dialer answers every call. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEvents } from '../../src/calls/call-events.js';
import type { OutboundCallRequest, PlacedCall } from '../../src/calls/outbound-dialer.js';
import { startCampaignEngine, type CampaignEngine } from '../../src/campaigns/engine.js';
import { campaignRoutes } from '../../src/campaigns/http/campaign-routes.js';
import { openStore, type Store } from '../../src/store/index.js';
import { runCli } from '../../tools/campaign-cli/main.js';
import { quietLog } from './support/harness.js';

let store: Store;
let engine: CampaignEngine;
let server: ReturnType<express.Express['listen']>;
let base = '';
const events = new CallEvents();
let n = 0;

/** Answers every call 20 ms after dialling, talks 20 ms. */
const dialer = {
  async dial(r: OutboundCallRequest): Promise<PlacedCall> {
    const placed = { callId: `c${++n}`, providerCallId: `CA${n}` };
    const emit = (status: 'in-progress' | 'completed') => events.emit({ ...placed, campaignId: r.campaignId!, recipientId: r.recipientId!, status, at: Date.now() });
    setTimeout(() => emit('in-progress'), 20);
    setTimeout(() => emit('completed'), 40);
    return placed;
  },
};

beforeAll(async () => {
  store = await openStore({ url: ':memory:' });
  const lookup = { findCall: async () => null, hangup: async () => {} };
  engine = await startCampaignEngine({ store, events, dialer, lookup, control: lookup, log: quietLog, instanceId: 'api', maxConcurrentCalls: 10, concurrencyShare: 0.7, callsPerSecond: 50, idleMs: 20, sweepEveryMs: 0 });
  const app = express();
  app.use('/v1', campaignRoutes({ service: engine.service, log: quietLog, defaultRegion: 'FR' }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await engine.stop();
  server.close();
  await store.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: res.status === 204 ? null : ((await res.json()) as Record<string, any>) };
};

function cliOutput(): { lines: string[]; out: Parameters<typeof runCli>[1] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, cb) => { lines.push(chunk.toString().trimEnd()); cb(); } });
  return { lines, out: { log: (l) => lines.push(l), stream } };
}

describe('campaign API', () => {
  it('creates from JSON with row errors reported, and answers errors as JSON with codes', async () => {
    const created = await call('POST', '/campaigns', {
      name: 'json', agent_id: 'agent_1', window: '00:00-00:00', days: 'mon-sun', max_attempts: 2,
      recipients: [{ phone_number: '06 12 34 56 78', name: 'Zoé' }, { phone_number: 'nope' }, { phone_number: '+33612345678' }],
    });
    expect(created.status).toBe(201);
    expect(created.json!.import).toMatchObject({ accepted: 1, rejected: 1, format: 'json' });
    expect(created.json!.import.errors[0]).toMatchObject({ rowNumber: 2, code: 'invalid_phone' });
    expect(created.json!.import.duplicates).toHaveLength(1);
    expect(created.json!.campaign.settings).toMatchObject({ maxAttempts: 2, window: { start: '00:00', end: '00:00' } });

    expect((await call('POST', '/campaigns', { name: 'x', agent_id: 'a', window: '25:00-26:00', recipients: [] })).json).toMatchObject({ error: { code: 'invalid_field', field: 'window.start' } });
    expect((await call('POST', '/campaigns', { name: 'x', agent_id: 'a', strict: true, recipients: [{ phone_number: 'bad' }] })).json).toMatchObject({ error: { code: 'rejected', rowErrors: [{ rowNumber: 1 }] } });
    expect((await call('GET', '/campaigns/nope')).status).toBe(404);
    const id = created.json!.campaign.id as string;
    const recipients = await call('GET', `/campaigns/${id}/recipients?status=pending,dialing,in-progress,completed`);
    expect(recipients.json!.recipients[0]).toMatchObject({ phoneNumber: '+33612345678', variables: { name: 'Zoé' } });
  });

  it('manages the do-not-call list', async () => {
    expect((await call('POST', '/dnc', { phone_numbers: ['06 11 22 33 44'], reason: 'asked' })).json).toEqual({ added: 1, phoneNumbers: ['+33611223344'] });
    expect((await call('GET', '/dnc')).json!.entries).toMatchObject([{ phoneNumber: '+33611223344', reason: 'asked' }]);
    expect((await call('POST', '/dnc', { phone_number: '12' })).json).toMatchObject({ error: { code: 'invalid_phone', field: 'phone_number' } });
    expect((await call('DELETE', '/dnc/+33611223344')).status).toBe(204);
    expect((await call('DELETE', '/dnc/+33611223344')).status).toBe(404);
  });
});

describe('campaign CLI', () => {
  it('create --file prints validation, follows a progress bar to completion; cancel of a finished campaign is a 409', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'campaign-cli-'));
    const file = join(dir, 'list.csv');
    const rows = Array.from({ length: 20 }, (_, i) => `+3361234${String(5000 + i)},Client ${i}`);
    writeFileSync(file, ['phone_number,name', ...rows, 'not a number,Bad', rows[0]].join('\n'));
    const { lines, out } = cliOutput();
    const code = await runCli(['create', '--url', base, '--file', file, '--name', 'cli', '--agent-id', 'agent_1', '--interval', '100'], out);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/: 20 recipients accepted from csv, 1 rejected, 1 duplicates, 0 on the do-not-call list$/);
    expect(lines).toContain('  row 22: invalid_phone: "not a number" is not a phone number');
    expect(lines.some((l) => /^\[#{30}\] 100% 20\/20 done/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/cli: completed, 20\/20 done; completed=20$/);
    const id = /campaign (\S+) /.exec(lines[0]!)![1]!;
    const cancel = cliOutput();
    expect(await runCli(['cancel', id, '--url', base], cancel.out)).toBe(1);
    expect(cancel.lines[0]).toMatch(/^error: 409 invalid_state: campaign is completed/);
    const status = cliOutput();
    expect(await runCli(['status', id, '--url', base], status.out)).toBe(0);
    expect(status.lines[0]).toContain('completed=20');
  });
});
