import { ImportFileError } from './errors.js';

/** What a column means. Everything not reserved is a dynamic variable. */
export type ColumnRole = 'phone' | 'language' | 'first_message' | 'system_prompt' | 'voice_id' | 'timezone' | 'variable';

const RESERVED: Record<string, ColumnRole> = {
  phone_number: 'phone',
  language: 'language',
  first_message: 'first_message',
  system_prompt: 'system_prompt',
  voice_id: 'voice_id',
  timezone: 'timezone',
};

export interface ColumnPlan {
  /** Trimmed header names, trailing unnamed columns dropped. */
  names: string[];
  roles: ColumnRole[];
  /** Column index of each reserved role present (phone always is). */
  indexOf: Partial<Record<Exclude<ColumnRole, 'variable'>, number>> & { phone: number };
  /** Indices of the dynamic-variable columns. */
  variables: number[];
}

/** Validates the header row once; every problem here is a file-level error. */
export function planColumns(header: readonly (string | undefined)[]): ColumnPlan {
  const names = header.map(cleanName);
  // Excel often leaves trailing empty header cells (",,,"): not columns.
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const unnamed = names.findIndex((n) => n === '');
  if (unnamed >= 0) {
    throw new ImportFileError('empty_column_name', `column ${columnLetter(unnamed)} has no name in the header row`);
  }
  rejectDuplicates(names);
  const roles = names.map((n) => RESERVED[n.toLowerCase()] ?? 'variable');
  const phone = roles.indexOf('phone');
  if (phone < 0) throw new ImportFileError('missing_phone_column', missingPhoneMessage(names));
  const indexOf: ColumnPlan['indexOf'] = { phone };
  roles.forEach((role, i) => {
    if (role !== 'variable') indexOf[role] = i;
  });
  const variables = roles.flatMap((role, i) => (role === 'variable' ? [i] : []));
  return { names, roles, indexOf, variables };
}

/** Trim, and drop a BOM or zero-width characters that editors leave in the first cell. */
function cleanName(name: string | undefined): string {
  return (name ?? '').replace(/[\uFEFF\u200B]/g, '').trim();
}

/** Case-insensitive: `Name` and `name` would be two variables nobody can tell apart. */
function rejectDuplicates(names: readonly string[]): void {
  const seen = new Map<string, number[]>();
  names.forEach((n, i) => seen.set(n.toLowerCase(), [...(seen.get(n.toLowerCase()) ?? []), i]));
  const dups = [...seen.values()].filter((at) => at.length > 1);
  if (dups.length === 0) return;
  const list = dups.map((at) => `"${names[at[0]!]}" (columns ${at.map(columnLetter).join(', ')})`).join('; ');
  throw new ImportFileError('duplicate_columns', `duplicate column names: ${list}`);
}

function missingPhoneMessage(names: readonly string[]): string {
  const near = names.find((n) => /phone|number|mobile|tel/i.test(n));
  const hint = near ? `; rename "${near}" to phone_number` : '';
  return `the required column phone_number is missing (found: ${names.map((n) => `"${n}"`).join(', ') || 'nothing'})${hint}`;
}

/** 0 → A, 25 → Z, 26 → AA: how spreadsheet users name columns. */
export function columnLetter(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
