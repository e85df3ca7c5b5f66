/**
 * Spreadsheet and JSON values to the text the user meant. Numbers are the
 * trap: a phone column typed as Number holds 14155550123 as a double, and
 * Excel may write it as 1.4155550123E10. Both must become "14155550123".
 */

/** Digits for integers (never "1.4155550123e+10"), 15 significant digits otherwise, as Excel shows them. */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return BigInt(value).toString();
  // 14155550122.999998 (binary artefact) → 14155550123; 0.1 + 0.2 → 0.3.
  const shown = Number(value.toPrecision(15));
  return Number.isInteger(shown) ? BigInt(shown).toString() : String(shown);
}

/** Dates without a time as YYYY-MM-DD; others as full ISO-8601 UTC. */
export function dateText(value: Date): string {
  const iso = value.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** An exceljs cell value (string, number, Date, rich text, formula, hyperlink, error) as text. */
export function spreadsheetCellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') return objectCellText(value as Record<string, unknown>);
  return String(value);
}

function objectCellText(value: Record<string, unknown>): string {
  if (Array.isArray(value.richText)) return value.richText.map((run: { text?: unknown }) => String(run.text ?? '')).join('');
  // Formula cells carry their cached result; shared formulas too.
  if ('result' in value) return spreadsheetCellText(value.result);
  if ('formula' in value || 'sharedFormula' in value) return '';
  // Hyperlinks: the visible text, which may itself be rich text.
  if ('text' in value) return spreadsheetCellText(value.text);
  if ('error' in value) return String(value.error);
  return '';
}

/** A JSON property value as cell text; undefined for objects/arrays, which have no cell form. */
export function jsonCellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}
