import { jsonCellText } from './cells.js';
import { ImportFileError } from './errors.js';
import { DEFAULT_MAX_ROWS, type RawRow, type RawTable } from './table.js';
import type { ImportOptions } from './types.js';

/**
 * JSON recipients (`[{ "phone_number": "+1…", "name": "Ana" }, …]`) to a raw
 * table, so they pass the very same validation as a CSV. The header is the
 * union of keys in first-seen order; a key missing from one object is an
 * absent cell (no variable), not an error. Row number = array index + 1.
 */
export function readJson(input: unknown, options: ImportOptions = {}): RawTable {
  const items = typeof input === 'string' || input instanceof Uint8Array ? parseJsonText(input) : input;
  if (!Array.isArray(items)) throw new ImportFileError('invalid_json', 'expected a JSON array of recipient objects');
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (items.length > maxRows) throw new ImportFileError('too_many_rows', `the list has ${items.length} recipients; the limit is ${maxRows}`);
  const header = collectKeys(items);
  const index = new Map(header.map((key, i) => [key, i]));
  const rows = items.map((item, i): RawRow => toRow(item, i + 1, index, header.length));
  return { format: 'json', header, rows, encoding: null, delimiter: null };
}

function parseJsonText(input: string | Uint8Array): unknown {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new ImportFileError('invalid_json', `the JSON cannot be read: ${(error as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collectKeys(items: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const item of items) if (isRecord(item)) for (const key of Object.keys(item)) keys.add(key);
  return [...keys];
}

function toRow(item: unknown, rowNumber: number, index: Map<string, number>, width: number): RawRow {
  const cells = new Array<string | undefined>(width).fill(undefined);
  if (!isRecord(item)) return { rowNumber, cells, invalid: 'the entry is not an object' };
  for (const [key, value] of Object.entries(item)) {
    const text = jsonCellText(value);
    if (text === undefined) return { rowNumber, cells, invalid: `"${key}" must be a string, number or boolean` };
    cells[index.get(key)!] = text;
  }
  return { rowNumber, cells };
}
