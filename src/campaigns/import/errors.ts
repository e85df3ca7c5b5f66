import type { DuplicateRow, RowError } from './types.js';

export type ImportFileErrorCode =
  | 'unsupported_format'
  | 'empty_file'
  | 'malformed_csv'
  | 'unreadable_xlsx'
  | 'invalid_json'
  | 'missing_phone_column'
  | 'duplicate_columns'
  | 'empty_column_name'
  | 'too_many_rows'
  | 'cell_too_large'
  | 'row_too_large'
  | 'rejected';

/**
 * The file as a whole cannot be imported. HTTP handlers map it to 400/422 and
 * show `message`; for 'rejected' (strict mode) `rowErrors` lists every bad row.
 */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';

  constructor(
    readonly code: ImportFileErrorCode,
    message: string,
    readonly rowErrors: readonly RowError[] = [],
    readonly duplicates: readonly DuplicateRow[] = [],
  ) {
    super(message);
  }
}
