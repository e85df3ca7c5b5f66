/** JSON columns are TEXT on both engines; these keep (de)serialisation in one place. */

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Absent, empty objects and nulls are stored as SQL NULL to keep rows small. */
export function toJsonOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return null;
  return JSON.stringify(value);
}

export function fromJson<T>(text: string | null | undefined): T | null {
  return text === null || text === undefined || text === '' ? null : (JSON.parse(text) as T);
}
