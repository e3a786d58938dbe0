/**
 * Repairing `previous_status` on a SQLite database (drizzle/0031_previous_status_repair.sql):
 * cases an earlier defect left with their own state as the state to return to get the last
 * other state of their timeline back, and `@previous` (a customer's reply to a waiting case)
 * leads there again. PostgreSQL's migration: test/postgres/migrate.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, registerSqlFunctions } from '../../src/db/client.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { transition } from '../../src/workflow/transition.js';
import { ROOT, tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { migrationsBefore } from '../support/migrations-before.js';
import { EXPECTED_PREVIOUS_STATUS, previousStatusStatements } from '../support/previous-status-history.js';

describe.skipIf(ON_POSTGRES)('repairing previous_status on an existing SQLite database', () => {
  it('recomputes the state to return to from the timeline, so "@previous" leads somewhere again', () => {
    const dir = tempDir();
    const sqlite = new Database(path.join(dir, 'old.db'));
    registerSqlFunctions(sqlite); // the search index's triggers call casebook_search_text
    try {
      const db = drizzle(sqlite);
      migrate(db, { migrationsFolder: migrationsBefore(dir, '_previous_status_repair') });
      for (const statement of previousStatusStatements()) sqlite.prepare(statement).run();

      migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      const rows = sqlite.prepare('SELECT id, status, previous_status AS previous FROM cases ORDER BY id').all() as { id: number; status: string; previous: string | null }[];
      expect(Object.fromEntries(rows.map((r) => [r.id, r.previous]))).toEqual(EXPECTED_PREVIOUS_STATUS);

      // The customer's reply to the waiting case returns it to where it was worked on, not to "pending".
      const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as WorkflowDefinition;
      const waiting = rows.find((r) => r.id === 2001)!;
      expect(transition(support, { status: waiting.status, previousStatus: waiting.previous }, { kind: 'event', type: 'customer.replied' })).toMatchObject({ ok: true, transition: 'customerReplied', to: 'open' });
    } finally {
      sqlite.close();
    }
  });
});
