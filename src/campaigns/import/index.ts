import { readCsv } from './csv.js';
import { ImportFileError } from './errors.js';
import { readJson } from './json.js';
import { validateTable } from './validate.js';
import { readXlsx } from './xlsx.js';
import type { ImportFormat, ImportOptions, ImportResult } from './types.js';

export * from './types.js';
export { ImportFileError, type ImportFileErrorCode } from './errors.js';

/** CSV bytes (any of the supported encodings and separators) to validated recipients. */
export function importCsv(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  return validateTable(readCsv(bytes, options), options);
}

/** XLSX bytes (first sheet unless `options.sheet`) to validated recipients. */
export async function importXlsx(bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
  return validateTable(await readXlsx(bytes, options), options);
}

/** A JSON array of objects (already parsed, or as text/bytes) through the same validation. */
export function importJson(input: unknown, options: ImportOptions = {}): ImportResult {
  return validateTable(readJson(input, options), options);
}

export interface ImportInput {
  data: Uint8Array;
  /** Wins over sniffing when given. */
  format?: ImportFormat;
  /** Upload file name; its extension helps when `format` is not given. */
  filename?: string;
}

/** One entry point for uploads: picks the reader by format, file name or content. */
export async function importRecipients(input: ImportInput, options: ImportOptions = {}): Promise<ImportResult> {
  const format = input.format ?? detectFormat(input.data, input.filename);
  if (format === 'xlsx') return importXlsx(input.data, options);
  if (format === 'json') return importJson(input.data, options);
  return importCsv(input.data, options);
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0];

/** Content first (an .xlsx renamed .csv is still a ZIP), then the extension; CSV by default. */
export function detectFormat(data: Uint8Array, filename?: string): ImportFormat {
  const starts = (magic: number[]) => magic.every((b, i) => data[i] === b);
  if (starts(ZIP)) return 'xlsx';
  if (starts(OLE2) || /\.xls$/i.test(filename ?? '')) {
    throw new ImportFileError('unsupported_format', 'legacy .xls workbooks are not supported; save as .xlsx or CSV');
  }
  if (/\.json$/i.test(filename ?? '') || firstNonSpace(data) === 0x5b /* [ */) return 'json';
  return 'csv';
}

function firstNonSpace(data: Uint8Array): number | undefined {
  let i = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
  return data[i];
}
