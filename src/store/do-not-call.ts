import type { Kysely } from 'kysely';
import { chunks, rowsPerStatement } from './chunk.js';
import type { StoreContext } from './context.js';
import type { Dialect } from './dialect.js';
import type { Database } from './schema.js';

export interface DoNotCallEntry {
  phoneNumber: string;
  reason: string | null;
  createdAt: number;
}

/**
 * The do-not-call list, keyed by E.164 number. Callers normalise numbers
 * first (the import does); this layer compares strings exactly.
 */
export class DoNotCall {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly now: () => number;

  constructor(ctx: StoreContext) {
    this.db = ctx.db;
    this.dialect = ctx.dialect;
    this.now = ctx.now ?? Date.now;
  }

  /** Idempotent: re-adding keeps the original entry (and its date), returns false. */
  async add(phoneNumber: string, reason: string | null = null): Promise<boolean> {
    return (await this.addMany([{ phoneNumber, reason }])) === 1;
  }

  /** Returns how many numbers were newly listed. */
  async addMany(entries: readonly { phoneNumber: string; reason?: string | null }[]): Promise<number> {
    const now = this.now();
    const rows = entries.map((e) => ({ phone_number: e.phoneNumber, reason: e.reason ?? null, created_at: now }));
    let added = 0;
    for (const chunk of chunks(rows, rowsPerStatement(this.dialect, 3))) {
      const r = await this.db
        .insertInto('do_not_call')
        .values(chunk)
        .onConflict((oc) => oc.column('phone_number').doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0n);
    }
    return added;
  }

  async remove(phoneNumber: string): Promise<boolean> {
    const r = await this.db.deleteFrom('do_not_call').where('phone_number', '=', phoneNumber).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async has(phoneNumber: string): Promise<boolean> {
    const row = await this.db.selectFrom('do_not_call').select('phone_number').where('phone_number', '=', phoneNumber).executeTakeFirst();
    return row !== undefined;
  }

  /** Which of these numbers are listed: one query per few thousand numbers. */
  async listed(phoneNumbers: Iterable<string>): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(phoneNumbers)];
    for (const chunk of chunks(unique, rowsPerStatement(this.dialect, 1))) {
      const rows = await this.db.selectFrom('do_not_call').select('phone_number').where('phone_number', 'in', chunk).execute();
      for (const row of rows) found.add(row.phone_number);
    }
    return found;
  }

  /** Keyset paging by number. */
  async list(page: { after?: string; limit?: number } = {}): Promise<DoNotCallEntry[]> {
    let query = this.db.selectFrom('do_not_call').selectAll().orderBy('phone_number').limit(page.limit ?? 100);
    if (page.after !== undefined) query = query.where('phone_number', '>', page.after);
    const rows = await query.execute();
    return rows.map((r) => ({ phoneNumber: r.phone_number, reason: r.reason, createdAt: r.created_at }));
  }
}
