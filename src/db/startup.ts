/**
 * The server's way to open its database, stricter than `openDatabase`:
 *
 * 1. an existing file is looked at first (file-check.ts): empty, not SQLite, truncated →
 *    start-up stops with one line; a missing file is a new database (`created`);
 * 2. it is opened and proven readable and writable (access.ts);
 * 3. an existing file must hold Casebook's tables (not nothing, not another application's),
 *    looked at on a read-only connection first, so another application's file is left untouched;
 * 4. its pages are checked (`quick_check`, integrity.ts), waiting at most `integrityWaitMs`;
 * 5. only then are the migrations applied.
 *
 * `created` tells the caller whether this start created the file: demo data is only ever
 * seeded into a database created just now, never into a file that existed.
 */
import Database from 'better-sqlite3';
import { DatabaseAccessError, databaseAccessError } from './access.js';
import { MIGRATIONS_DIR, openDatabase, type Db } from './client.js';
import { indexWaitingAtOpen } from './search-staging.js';
import { migrateSqlite } from './migrate.js';
import { assertCasebookDatabase, inspectDatabaseFile } from './file-check.js';
import { checkIntegrity, type IntegrityResult } from './integrity.js';
import type { Logger } from '../logger.js';

export interface ServerDatabaseOptions {
  busyTimeoutMs: number;
  logger: Logger;
  /** How long start-up waits for the integrity check (default INTEGRITY_WAIT_MS). */
  integrityWaitMs?: number;
}

export interface ServerDatabase {
  db: Db;
  /** This start created the database file. */
  created: boolean;
  /** The integrity check (already done, or still running in the background); null for a new file. */
  integrity: Promise<IntegrityResult> | null;
}

/** The table check on a read-only connection; a file SQLite cannot open read-only is left to `openDatabase` to explain. */
function peekTables(file: string): void {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return;
  }
  try {
    assertCasebookDatabase(file, sqlite);
  } catch (error) {
    if (error instanceof DatabaseAccessError) throw error;
    // unreadable (damaged header, locked…): opening it for real says why
  } finally {
    sqlite.close();
  }
}

export async function openServerDatabase(file: string, options: ServerDatabaseOptions): Promise<ServerDatabase> {
  const { created } = inspectDatabaseFile(file);
  // Another application's file is refused before anything is written to it (opening switches a file to WAL).
  if (!created) peekTables(file);
  const db = openDatabase(file, { busyTimeoutMs: options.busyTimeoutMs, migrate: false });
  let integrity: Promise<IntegrityResult> | null = null;
  try {
    if (!created) {
      assertCasebookDatabase(file, db.$client);
      const checked = await checkIntegrity(db, file, { logger: options.logger, ...(options.integrityWaitMs !== undefined ? { waitMs: options.integrityWaitMs } : {}) });
      integrity = checked.background;
    }
  } catch (error) {
    db.$client.close();
    throw error;
  }
  try {
    migrateSqlite(db, MIGRATIONS_DIR, file);
    // Search documents a stopped (or killed) server left waiting (search-staging.ts), as openDatabase does.
    indexWaitingAtOpen(db);
  } catch (error) {
    db.$client.close();
    if (error instanceof DatabaseAccessError) throw error;
    // A file SQLite cannot read or write (damage found by the migration itself, a full disk,
    // a write lock another process holds beyond DATABASE_BUSY_TIMEOUT_MS) is one line too.
    const code = (error as { code?: unknown } | null)?.code;
    throw typeof code === 'string' && code.startsWith('SQLITE_') ? databaseAccessError(file, error) : error;
  }
  return { db, created, integrity };
}
