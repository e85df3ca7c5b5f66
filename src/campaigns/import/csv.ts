import { CsvError, parse } from 'csv-parse/sync';
import { decodeText } from './decode.js';
import { detectDelimiter } from './delimiter.js';
import { ImportFileError } from './errors.js';
import { DEFAULT_MAX_ROWS, type RawRow, type RawTable } from './table.js';
import type { ImportOptions } from './types.js';

/**
 * CSV bytes to a raw table. Every parsed record is one spreadsheet row (a
 * quoted newline stays inside its row), so row number = record index + 1,
 * exactly what Excel shows when it opens the same file; blank lines count as
 * rows there too, and are skipped later.
 */
export function readCsv(bytes: Uint8Array, options: ImportOptions = {}): RawTable {
  const { text, encoding } = decodeText(bytes, options.encoding ?? 'auto');
  const delimiter = !options.delimiter || options.delimiter === 'auto' ? detectDelimiter(text) : options.delimiter;
  const records = parseRecords(text, delimiter);
  const headerIndex = records.findIndex((r) => !isBlank(r));
  if (headerIndex < 0) throw new ImportFileError('empty_file', 'the file has no header row (it is empty)');
  const rows: RawRow[] = [];
  for (let i = headerIndex + 1; i < records.length; i++) rows.push({ rowNumber: i + 1, cells: records[i]! });
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (rows.length > maxRows) throw new ImportFileError('too_many_rows', `the file has ${rows.length} rows; the limit is ${maxRows}`);
  return { format: 'csv', header: records[headerIndex]!, rows, encoding, delimiter };
}

function parseRecords(text: string, delimiter: string): string[][] {
  try {
    // relax_column_count: short/long rows are reported per row by validation
    // rather than failing the file. relax_quotes: a stray quote inside an
    // unquoted field is literal text, as in Excel.
    return parse(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as string[][];
  } catch (error) {
    if (error instanceof CsvError) throw new ImportFileError('malformed_csv', `the CSV cannot be read: ${error.message}`);
    throw error;
  }
}

function isBlank(cells: readonly string[]): boolean {
  return cells.every((c) => c.trim() === '');
}
