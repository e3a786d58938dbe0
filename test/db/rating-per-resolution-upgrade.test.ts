/**
 * Upgrading a SQLite database to ratings per resolution (drizzle/0030_rating_per_resolution.sql):
 * the one rating row a case held is superseded when it rated an earlier resolution (the case was
 * resolved again after it, or is open and was reopened after it); a chat's rating on a case still
 * open stays current; a reopened case keeps no current solution.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, registerSqlFunctions } from '../../src/db/client.js';
import { tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { migrationsBefore } from '../support/migrations-before.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const at = (minutes: number) => T0 + minutes * 60_000;

describe.skipIf(ON_POSTGRES)('upgrading an existing SQLite database to ratings per resolution', () => {
  it('supersedes the ratings of earlier resolutions and keeps the current ones', () => {
    const dir = tempDir();
    const sqlite = new Database(path.join(dir, 'old.db'));
    registerSqlFunctions(sqlite); // the search index's triggers call casebook_search_text
    try {
      const db = drizzle(sqlite);
      migrate(db, { migrationsFolder: migrationsBefore(dir, '_rating_per_resolution') });
      const cases: [id: number, open: number, resolvedAt: number | null, reopens: number, solution: string | null][] = [
        [2001, 0, at(10), 0, 'Current'], // resolved, then rated: current
        [2002, 1, null, 1, 'Old'], // rated, then reopened: earlier
        [2003, 0, at(40), 1, 'New'], // rated, reopened, resolved again: earlier
        [2004, 1, null, 0, null], // a chat's rating, the case still open: current
      ];
      sqlite.prepare(`INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ${T0})`).run();
      sqlite.prepare(`INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (1, 'olga@example.com', 'Olga', ${T0}, ${T0})`).run();
      for (const [id, open, resolvedAt, reopens, solution] of cases) {
        sqlite
          .prepare(
            `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at, open, resolved_at, reopen_count, solution)
             VALUES (?, 1, 'Case', 'A question', ?, ${T0}, 'general', 'support', 1, ${T0}, ${T0}, ?, ?, ?, ?)`,
          )
          .run(id, open ? 'open' : 'resolved', open, resolvedAt, reopens, solution);
        sqlite.prepare(`INSERT INTO case_ratings (case_id, customer_id, satisfied, comment, created_at) VALUES (?, 1, 1, '', ${at(20)})`).run(id);
      }
      sqlite.prepare(`INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (2002, 'case.reopened', ${at(30)}, 'customer', '{}')`).run();
      sqlite.prepare(`INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (2003, 'case.reopened', ${at(30)}, 'customer', '{}')`).run();

      migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      const ratings = sqlite.prepare('SELECT case_id AS id, superseded_at AS superseded FROM case_ratings ORDER BY case_id').all() as { id: number; superseded: number | null }[];
      expect(Object.fromEntries(ratings.map((r) => [r.id, r.superseded]))).toEqual({ 2001: null, 2002: at(20), 2003: at(20), 2004: null });
      const solutions = sqlite.prepare('SELECT id, solution FROM cases ORDER BY id').all() as { id: number; solution: string | null }[];
      expect(Object.fromEntries(solutions.map((r) => [r.id, r.solution]))).toEqual({ 2001: 'Current', 2002: null, 2003: 'New', 2004: null });
      // A second current rating of a case is refused; an earlier one beside the current is not.
      expect(() => sqlite.prepare(`INSERT INTO case_ratings (case_id, customer_id, satisfied, comment, created_at) VALUES (2001, 1, 0, '', ${at(50)})`).run()).toThrow(/UNIQUE/);
      sqlite.prepare(`INSERT INTO case_ratings (case_id, customer_id, satisfied, comment, created_at) VALUES (2002, 1, 0, '', ${at(50)})`).run();
    } finally {
      sqlite.close();
    }
  });
});
