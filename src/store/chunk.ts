import { MAX_PARAMETERS, type Dialect } from './dialect.js';

/**
 * Rows per multi-row INSERT so one statement stays under the engine's
 * bound-parameter ceiling. Capped because past a few thousand rows a bigger
 * statement no longer saves time, it only costs memory to build.
 */
export function rowsPerStatement(dialect: Dialect, columnsPerRow: number, cap = 5000): number {
  return Math.max(1, Math.min(cap, Math.floor(MAX_PARAMETERS[dialect] / Math.max(1, columnsPerRow))));
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
