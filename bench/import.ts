/**
 * Recipient import benchmark: 100k rows through parse + validate + normalise
 * (CSV and XLSX), then the campaign insert on SQLite and PostgreSQL.
 *
 *   npx tsx bench/import.ts [--rows 100000] [--pg postgres://postgres@127.0.0.1:5432/test] [--no-xlsx]
 *
 * PostgreSQL work happens in a throw-away schema that is dropped at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { importCsv, importXlsx, type ImportedRecipient } from '../src/campaigns/import/index.js';
import { readCsv } from '../src/campaigns/import/csv.js';
import { openStore, type DatabaseOptions } from '../src/store/index.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    'no-xlsx': { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);

async function timed<T>(label: string, run: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await run();
  console.log(`${label.padEnd(44)} ${(performance.now() - start).toFixed(0).padStart(6)} ms`);
  return value;
}

/** Distinct US numbers in mixed national formats, a few overrides, 0.1 % duplicates. */
function csvText(rows: number): string {
  const lines = ['phone_number,first_name,last_name,city,order_id,language'];
  for (let i = 0; i < rows; i++) {
    const n = i % 1000 === 999 ? i - 2 : i;
    const line = 2_000_000 + n;
    const phone = n % 2 === 0 ? `(415) ${String(line).slice(0, 3)}-${String(line).slice(3)}` : `+1 628 ${line}`;
    lines.push(`${phone},First${i},"Last, ${i}",San Francisco,${100_000 + i},${i % 10 === 0 ? 'es' : ''}`);
  }
  return lines.join('\r\n') + '\r\n';
}

async function xlsxBytes(rows: number): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Recipients');
  sheet.addRow(['phone_number', 'first_name', 'city', 'amount']);
  for (let i = 0; i < rows; i++) sheet.addRow([14_152_000_000 + i, `First${i}`, 'Paris', i * 1.5]);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

async function insertBench(label: string, options: DatabaseOptions, recipients: readonly ImportedRecipient[]): Promise<void> {
  const store = await openStore(options);
  try {
    const created = await timed(`${label}: create campaign + ${recipients.length} rows`, () =>
      store.campaigns.create({ name: 'bench', type: 'agent', agentId: 'agent_bench' }, recipients),
    );
    await timed(`${label}: progress (GROUP BY status)`, () => store.recipients.progress(created.campaign.id));
  } finally {
    await store.close();
  }
}

async function postgresBench(url: string, recipients: readonly ImportedRecipient[]): Promise<void> {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`postgres: skipped (${(error as Error).message})`);
    return;
  }
  try {
    await insertBench('postgres', { url, schema, poolSize: 2 }, recipients);
  } finally {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${ROWS} rows`);
  const csv = new TextEncoder().encode(csvText(ROWS));
  console.log(`CSV size ${(csv.byteLength / 1e6).toFixed(1)} MB`);
  await timed('csv: decode + parse only', () => readCsv(csv));
  const result = await timed('csv: parse + validate + normalise (cold)', () => importCsv(csv, { defaultRegion: 'US' }));
  await timed('csv: parse + validate + normalise (again)', () => importCsv(csv, { defaultRegion: 'US' }));
  console.log(`  → ${result.recipients.length} recipients, ${result.duplicates.length} duplicates, ${result.errors.length} errors`);
  if (!args['no-xlsx']) {
    const xlsx = await xlsxBytes(ROWS);
    console.log(`XLSX size ${(xlsx.byteLength / 1e6).toFixed(1)} MB`);
    const fromXlsx = await timed('xlsx: load + validate + normalise', () => importXlsx(xlsx, { defaultRegion: 'US' }));
    console.log(`  → ${fromXlsx.recipients.length} recipients, ${fromXlsx.errors.length} errors`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    await insertBench('sqlite', { dataDir }, result.recipients);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  await postgresBench(args.pg!, result.recipients);
}

await main();
