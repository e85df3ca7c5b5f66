/** The two engines the store runs on. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Bound-parameter ceilings per statement: SQLite (>= 3.32) allows 32766 host
 * parameters, the PostgreSQL wire protocol 65535. Multi-row inserts are sized
 * from these so a single chunk never overflows.
 */
export const MAX_PARAMETERS: Record<Dialect, number> = { sqlite: 32_766, postgres: 65_535 };

export function dialectOfUrl(url: string | undefined): Dialect {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}
