/**
 * Are a PostgreSQL database's migrations those of the code that runs (`/readyz`)? The same
 * answer as SQLite's (src/db/migrations-status.ts) from drizzle's record of what it applied,
 * `drizzle.__drizzle_migrations`, against the journal of `drizzle/pg`.
 */
import { sql } from 'drizzle-orm';
import { journalEntries, statusFrom, type MigrationStatus } from '../migrations-status.js';
import type { Store } from '../store/index.js';
import { PG_MIGRATIONS_DIR } from './client.js';

export async function postgresMigrationStatus(store: Store): Promise<MigrationStatus> {
  let last: { created_at: number | string | null; n: number } | undefined;
  try {
    last = await store.query((q) => q.get<{ created_at: number | string | null; n: number }>(sql`SELECT max(created_at) AS created_at, count(*) AS n FROM drizzle.__drizzle_migrations`));
  } catch (error) {
    return { state: 'unknown', reason: `the migrations table cannot be read: ${(error as Error).message}` };
  }
  return statusFrom(last?.created_at ?? null, Number(last?.n ?? 0), journalEntries(PG_MIGRATIONS_DIR));
}
