/**
 * Applies the SQLite migrations (drizzle/) exactly as drizzle's own migrator does
 * (drizzle-orm/better-sqlite3/migrator → SQLiteSyncDialect.migrate: the same journal table,
 * the migrations newer than the last one recorded, all of them in one transaction, a row of
 * `__drizzle_migrations` for each), with one difference: a migration that fails throws its
 * own error. drizzle answers any failure with a `ROLLBACK`, and SQLite has already rolled the
 * transaction back itself when the disk is full (SQLITE_FULL) or a write failed (SQLITE_IOERR):
 * that ROLLBACK then fails, and its "Failed to run the query 'ROLLBACK'" was all start-up could
 * say — a stack trace instead of the one line that names the full disk (access.ts). Here the
 * rollback happens only while a transaction is still open, and the error thrown is the
 * statement's SqliteError, whose code (SQLITE_FULL, SQLITE_BUSY…) start-up explains.
 */
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import { DatabaseAccessError } from './access.js';
import type { Db } from './client.js';

/** drizzle's journal table, created as drizzle creates it (same text in sqlite_master). */
const JOURNAL_TABLE = `CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (
\t\t\t\tid SERIAL PRIMARY KEY,
\t\t\t\thash text NOT NULL,
\t\t\t\tcreated_at numeric
\t\t\t)`;

/**
 * `file` was migrated by a newer Casebook — its last recorded migration is newer than this
 * code's last (the code was rolled back after an upgrade): this code would run on a schema it
 * does not know, and drizzle's migrator says nothing (it applies what is newer, here nothing).
 * Refused with one line, as `npm run restore` refuses a backup of a newer Casebook; /readyz
 * says `ahead` of a server already running when a newer one migrates its database
 * (PostgreSQL's rolling deploys, docs/deploying.md).
 */
function refuseNewerDatabase(db: Db, file: string, migrations: readonly MigrationMeta[]): void {
  const newest = migrations[migrations.length - 1];
  const last = db.$client.prepare('SELECT max(created_at) AS at FROM "__drizzle_migrations"').pluck().get() as number | string | null;
  if (!newest || last === null || !(Number(last) > newest.folderMillis)) return;
  throw new DatabaseAccessError(
    file,
    `was migrated by a newer Casebook (its last migration is dated ${new Date(Number(last)).toISOString()}, after this code's last, of ${new Date(newest.folderMillis).toISOString()})`,
    'run the Casebook version that migrated it (or a newer one), or restore a backup this version made (npm run restore)',
  );
}

/** Migrates; with `file`, then refuses a database a newer Casebook migrated (the migration files read once for both). */
export function migrateSqlite(db: Db, migrationsFolder: string, file: string | null = null): void {
  const sqlite = db.$client;
  const migrations = readMigrationFiles({ migrationsFolder });
  sqlite.prepare(JOURNAL_TABLE).run();
  const last = sqlite.prepare('SELECT id, hash, created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1').raw().get() as [number, string, number | string] | undefined;
  sqlite.prepare('BEGIN').run();
  try {
    for (const migration of migrations) {
      if (last && !(Number(last[2]) < migration.folderMillis)) continue;
      for (const statement of migration.sql) sqlite.prepare(statement).run();
      sqlite.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES(?, ?)').run(migration.hash, migration.folderMillis);
    }
    sqlite.prepare('COMMIT').run();
  } catch (error) {
    if (sqlite.inTransaction) sqlite.prepare('ROLLBACK').run();
    throw error;
  }
  if (file !== null) refuseNewerDatabase(db, file, migrations);
}
