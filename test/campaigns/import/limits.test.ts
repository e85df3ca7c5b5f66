/**
 * Spreadsheet habits and hostile sizes: Excel's text apostrophe in front of a
 * number, current IANA zone names kept as written, and per-cell / per-row size
 * limits that refuse the file (HTTP 400) naming the row and the column.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportFileError, importCsv } from '../../../src/campaigns/import/index.js';
import { campaignRoutes } from '../../../src/campaigns/http/campaign-routes.js';
import { CampaignService } from '../../../src/campaigns/campaign-service.js';
import { systemClock } from '../../../src/campaigns/clock.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { quietLog } from '../support/harness.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('import: apostrophes, zones, sizes', () => {
  it("accepts Excel's leading apostrophe and keeps IANA names as given", () => {
    const r = importCsv(utf8("phone_number,timezone\n'+12025550148,Asia/Kolkata\n'+380441234567,Europe/Kyiv\n"));
    expect(r.errors).toEqual([]);
    expect(r.recipients.map((x) => [x.phoneNumber, x.timezone])).toEqual([['+12025550148', 'Asia/Kolkata'], ['+380441234567', 'Europe/Kyiv']]);
  });

  it('refuses a cell over the limit naming its row and column, and a row over the limit', () => {
    const big = 'x'.repeat(20_000);
    const cell = (() => { try { importCsv(utf8(`phone_number,name,notes\n+12025550148,Ana,ok\n+12025550149,Bob,${big}\n`)); } catch (e) { return e; } })();
    expect(cell).toBeInstanceOf(ImportFileError);
    expect((cell as ImportFileError).code).toBe('cell_too_large');
    expect((cell as ImportFileError).message).toMatch(/^row 3, column C \(notes\): the cell has 20000 characters/);
    const wide = Array.from({ length: 5 }, () => 'y'.repeat(12_000)).join(',');
    const row = (() => { try { importCsv(utf8(`phone_number,a,b,c,d,e\n+12025550148,${wide}\n`)); } catch (e) { return e; } })();
    expect((row as ImportFileError).code).toBe('row_too_large');
    expect((row as ImportFileError).message).toMatch(/^row 2: the row has 60012 characters/);
  });
});

describe('POST /campaigns with a 10 MiB cell', () => {
  let store: Store;
  let server: ReturnType<express.Express['listen']>;
  let base: string;
  beforeAll(async () => {
    store = await openStore({ url: ':memory:' });
    const app = express();
    app.use(campaignRoutes({ service: new CampaignService(store, systemClock, quietLog), log: quietLog }));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await store.close();
  });

  it('answers 400 naming row and column, stores nothing', async () => {
    const form = new FormData();
    form.set('name', 'huge');
    form.set('agent_id', 'agent_1');
    form.set('file', new Blob([`phone_number,notes\n+12025550148,${'z'.repeat(10 * 1024 * 1024)}\n`], { type: 'text/csv' }), 'list.csv');
    const res = await fetch(`${base}/campaigns`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('cell_too_large');
    expect(body.error.message).toContain('row 2, column B (notes)');
    expect(await store.campaigns.list()).toHaveLength(0);
  });
});
