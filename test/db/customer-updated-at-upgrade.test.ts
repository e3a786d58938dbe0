/**
 * Upgrading a SQLite database to `customer_updated_at` (drizzle/0028_customer_updated_at.sql):
 * each case's last change its customer saw is read from the timeline it already has, by the
 * rules the unit of work keeps from then on (src/workflow/customer-visible.ts). PostgreSQL's
 * migration: test/postgres/migrate.test.ts.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, registerSqlFunctions } from '../../src/db/client.js';
import { EXPECTED_CUSTOMER_UPDATED_AT, historyStatements } from '../support/customer-updated-at-history.js';
import { tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { migrationsBefore } from '../support/migrations-before.js';

describe.skipIf(ON_POSTGRES)('upgrading an existing SQLite database to customer_updated_at', () => {
  it('fills in the last change each customer saw from the timeline, and orders their cases by it', () => {
    const dir = tempDir();
    const sqlite = new Database(path.join(dir, 'old.db'));
    registerSqlFunctions(sqlite); // the search index's triggers call casebook_search_text
    try {
      const db = drizzle(sqlite);
      migrate(db, { migrationsFolder: migrationsBefore(dir, '_customer_updated_at') });
      for (const statement of historyStatements()) sqlite.prepare(statement).run();

      migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      const rows = sqlite.prepare('SELECT id, customer_updated_at AS at FROM cases ORDER BY id').all() as { id: number; at: number | null }[];
      expect(Object.fromEntries(rows.map((r) => [r.id, r.at]))).toEqual(EXPECTED_CUSTOMER_UPDATED_AT);
      const order = sqlite.prepare('SELECT id FROM cases WHERE customer_id = 1 ORDER BY coalesce(customer_updated_at, created_at) DESC, id DESC').all() as { id: number }[];
      expect(order.map((r) => r.id)).toEqual([1003, 1001, 1004, 1002]);
    } finally {
      sqlite.close();
    }
  });
});
