/** Public shapes of a recipient import. */

export type DynamicVariables = Record<string, string>;

/** ElevenLabs `conversation_config_override`, only the fields a file may set. */
export type ConversationOverrides = {
  agent?: { language?: string; first_message?: string; prompt?: { prompt: string } };
  tts?: { voice_id: string };
};

export interface ImportedRecipient {
  /** As a spreadsheet user sees it: the header is row 1. JSON: array index + 1. */
  rowNumber: number;
  /** E.164, e.g. +14155550123. */
  phoneNumber: string;
  variables: DynamicVariables;
  /** Absent when the row sets no override. */
  overrides?: ConversationOverrides;
  /**
   * IANA zone: the row's `timezone` column, else the number's country when that
   * country has a single time zone (FR → Europe/Paris), else null, meaning "use
   * the campaign's timezone" (US, CA, BR, AU, RU, MX, ES… span several zones).
   */
  timezone: string | null;
}

export type RowErrorCode =
  | 'missing_cells'
  | 'extra_cells'
  | 'missing_phone'
  | 'invalid_phone'
  | 'scientific_notation'
  | 'invalid_timezone'
  | 'invalid_value'
  /** A broadcast message uses a `{{variable}}` the row has no value for. */
  | 'missing_variable';

export interface RowError {
  rowNumber: number;
  code: RowErrorCode;
  reason: string;
}

export interface DuplicateRow {
  rowNumber: number;
  phoneNumber: string;
  /** The row that was kept. */
  firstRowNumber: number;
}

export type TextEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';
export type Delimiter = ',' | ';' | '\t';
export type ImportFormat = 'csv' | 'xlsx' | 'json';

export interface ImportResult {
  recipients: ImportedRecipient[];
  errors: RowError[];
  duplicates: DuplicateRow[];
  /** Header names as found (trimmed), in file order. */
  columns: string[];
  format: ImportFormat;
  /** Text encoding used for CSV; null for XLSX and JSON. */
  encoding: TextEncoding | null;
  /** Field separator used for CSV; null for XLSX and JSON. */
  delimiter: Delimiter | null;
}

export interface ImportOptions {
  /** Region for numbers written without +country code, e.g. 'US', 'FR'. Without it such numbers are invalid. */
  defaultRegion?: string;
  /** Any invalid row rejects the whole file (ImportFileError 'rejected'). Default false. */
  strict?: boolean;
  /** CSV text encoding; 'auto' (default) = BOM, else valid UTF-8, else Windows-1252. */
  encoding?: 'auto' | TextEncoding;
  /** CSV separator; 'auto' (default) = the most frequent of , ; TAB in the header line. */
  delimiter?: 'auto' | Delimiter;
  /** XLSX: worksheet name or 1-based index. Default: the first sheet. */
  sheet?: string | number;
  /** Upper bound on data rows; bigger files are refused before validation. Default 500 000. */
  maxRows?: number;
  /** Largest cell, in characters; a bigger one refuses the file naming its row and column. Default 16 384. */
  maxCellChars?: number;
  /** Largest row (all cells together), in characters. Default 49 152: the row travels in the call's TwiML (Twilio caps a document at 64 KB). */
  maxRowChars?: number;
}
