import { ImportFileError } from './errors.js';
import { columnLetter, planColumns, type ColumnPlan } from './header.js';
import { PhoneNormalizer } from './phone.js';
import type { RawRow, RawTable } from './table.js';
import { canonicalTimeZone, timeZoneForCountry } from './timezone.js';
import type {
  ConversationOverrides,
  DuplicateRow,
  DynamicVariables,
  ImportedRecipient,
  ImportOptions,
  ImportResult,
  RowError,
} from './types.js';

type Cells = readonly (string | undefined)[];

export const DEFAULT_MAX_CELL_CHARS = 16_384;
export const DEFAULT_MAX_ROW_CHARS = 49_152;

/**
 * Oversized input refuses the whole file (HTTP 400) rather than one row: a
 * 10 MiB cell is a wrong file or an attack, not a typo, and would otherwise
 * be stored and sent in every call's TwiML.
 */
function checkSize(row: RawRow, plan: ColumnPlan, limits: { cell: number; row: number }): void {
  let total = 0;
  row.cells.forEach((cell, i) => {
    const n = cell?.length ?? 0;
    total += n;
    if (n > limits.cell) {
      const name = plan.names[i] ? ` (${plan.names[i]})` : '';
      throw new ImportFileError('cell_too_large', `row ${row.rowNumber}, column ${columnLetter(i)}${name}: the cell has ${n} characters; at most ${limits.cell} are allowed`);
    }
  });
  if (total > limits.row) {
    throw new ImportFileError('row_too_large', `row ${row.rowNumber}: the row has ${total} characters; at most ${limits.row} are allowed`);
  }
}

/**
 * One pass over the rows: shape check, phone number, time zone, overrides,
 * variables, duplicates. Each bad row gets one error (the first found): once
 * its cells are shifted or its number is wrong, the rest is not worth listing.
 */
export function validateTable(table: RawTable, options: ImportOptions = {}): ImportResult {
  const plan = planColumns(table.header);
  const phones = new PhoneNormalizer(options.defaultRegion);
  const firstRowOf = new Map<string, number>();
  const recipients: ImportedRecipient[] = [];
  const errors: RowError[] = [];
  const duplicates: DuplicateRow[] = [];
  const limits = { cell: options.maxCellChars ?? DEFAULT_MAX_CELL_CHARS, row: options.maxRowChars ?? DEFAULT_MAX_ROW_CHARS };
  for (const row of table.rows) {
    checkSize(row, plan, limits);
    if (row.invalid === undefined && isBlank(row.cells)) continue;
    const outcome = validateRow(row, plan, phones);
    if ('code' in outcome) {
      errors.push(outcome);
      continue;
    }
    const firstRowNumber = firstRowOf.get(outcome.phoneNumber);
    if (firstRowNumber !== undefined) {
      duplicates.push({ rowNumber: row.rowNumber, phoneNumber: outcome.phoneNumber, firstRowNumber });
      continue;
    }
    firstRowOf.set(outcome.phoneNumber, row.rowNumber);
    recipients.push(outcome);
  }
  if (options.strict && errors.length > 0) {
    throw new ImportFileError('rejected', rejectedMessage(errors), errors, duplicates);
  }
  return { recipients, errors, duplicates, columns: plan.names, format: table.format, encoding: table.encoding, delimiter: table.delimiter };
}

function validateRow(row: RawRow, plan: ColumnPlan, phones: PhoneNormalizer): ImportedRecipient | RowError {
  const { rowNumber, cells } = row;
  if (row.invalid !== undefined) return { rowNumber, code: 'invalid_value', reason: row.invalid };
  const shape = checkShape(cells, plan.names.length);
  if (shape !== undefined) return { rowNumber, ...shape };
  const raw = (cells[plan.indexOf.phone] ?? '').trim();
  if (raw === '') return { rowNumber, code: 'missing_phone', reason: 'phone_number is empty' };
  const phone = phones.normalize(raw);
  if (!phone.ok) return { rowNumber, code: phone.code, reason: phone.reason };
  const zone = rowTimeZone(cells, plan);
  if (zone.invalid !== undefined) return { rowNumber, code: 'invalid_timezone', reason: zone.invalid };
  const recipient: ImportedRecipient = {
    rowNumber,
    phoneNumber: phone.e164,
    variables: rowVariables(cells, plan),
    timezone: zone.name ?? (phone.country ? timeZoneForCountry(phone.country) : null),
  };
  const overrides = rowOverrides(cells, plan);
  if (overrides !== undefined) recipient.overrides = overrides;
  return recipient;
}

/**
 * Fewer cells than columns, or non-empty cells past the last column, mean a
 * separator is missing or unquoted: every value after it sits in the wrong
 * column, so the row is refused rather than read shifted.
 */
function checkShape(cells: Cells, width: number): Pick<RowError, 'code' | 'reason'> | undefined {
  if (cells.length < width) {
    return { code: 'missing_cells', reason: `the row has ${cells.length} cells but the header has ${width} columns` };
  }
  for (let i = width; i < cells.length; i++) {
    if ((cells[i] ?? '').trim() !== '') {
      return {
        code: 'extra_cells',
        reason: `the row has a value in column ${columnLetter(i)} past the last named column (${width} columns); check for an unquoted separator`,
      };
    }
  }
  return undefined;
}

/** The trimmed cell of a reserved column, undefined when the column is absent or the cell empty. */
function reserved(cells: Cells, plan: ColumnPlan, role: keyof ColumnPlan['indexOf']): string | undefined {
  const i = plan.indexOf[role];
  const text = i === undefined ? '' : (cells[i] ?? '').trim();
  return text === '' ? undefined : text;
}

function rowTimeZone(cells: Cells, plan: ColumnPlan): { name?: string; invalid?: string } {
  const text = reserved(cells, plan, 'timezone');
  if (text === undefined) return {};
  const name = canonicalTimeZone(text);
  return name ? { name } : { invalid: `"${text}" is not an IANA time zone (e.g. Europe/Paris, America/New_York)` };
}

/** Every non-reserved column, trimmed; an empty cell is an empty string so agent templates still resolve. */
function rowVariables(cells: Cells, plan: ColumnPlan): DynamicVariables {
  const variables: DynamicVariables = {};
  for (const i of plan.variables) {
    const value = cells[i];
    if (value !== undefined) variables[plan.names[i]!] = value.trim();
  }
  return variables;
}

/** Only present, non-empty override cells; undefined when the row sets none. */
function rowOverrides(cells: Cells, plan: ColumnPlan): ConversationOverrides | undefined {
  const language = reserved(cells, plan, 'language');
  const firstMessage = reserved(cells, plan, 'first_message');
  const prompt = reserved(cells, plan, 'system_prompt');
  const voiceId = reserved(cells, plan, 'voice_id');
  const agent: NonNullable<ConversationOverrides['agent']> = {};
  if (language !== undefined) agent.language = language;
  if (firstMessage !== undefined) agent.first_message = firstMessage;
  if (prompt !== undefined) agent.prompt = { prompt };
  const overrides: ConversationOverrides = {};
  if (Object.keys(agent).length > 0) overrides.agent = agent;
  if (voiceId !== undefined) overrides.tts = { voice_id: voiceId };
  return Object.keys(overrides).length > 0 ? overrides : undefined;
}

function isBlank(cells: Cells): boolean {
  return cells.every((c) => c === undefined || c.trim() === '');
}

function rejectedMessage(errors: readonly RowError[]): string {
  const shown = errors.slice(0, 3).map((e) => `row ${e.rowNumber}: ${e.reason}`).join('; ');
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  return `${errors.length} invalid row(s), the file was rejected (strict mode): ${shown}${more}`;
}
