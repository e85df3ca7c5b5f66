import type { Delimiter, ImportFormat, TextEncoding } from './types.js';

/**
 * What every reader (CSV, XLSX, JSON) hands to validation: the header and the
 * data rows as text cells. `undefined` = the cell does not exist (a JSON key
 * absent from that object); '' = present but empty.
 */
export interface RawRow {
  rowNumber: number;
  cells: (string | undefined)[];
  /** A reader-level problem with this row (e.g. a JSON value that is an object). */
  invalid?: string;
}

export interface RawTable {
  format: ImportFormat;
  header: string[];
  rows: RawRow[];
  encoding: TextEncoding | null;
  delimiter: Delimiter | null;
}

export const DEFAULT_MAX_ROWS = 500_000;
