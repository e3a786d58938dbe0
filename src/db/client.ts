import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { checkDatabase, databaseAccessError, type DatabaseProbe } from './access.js';
import { faultsOf, isStorageFull } from './faults.js';
import * as schema from './schema/index.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export type Sqlite = Database.Database;

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface OpenDatabaseOptions {
  /** Milliseconds a statement waits for a lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Run migrations (default true). */
  migrate?: boolean;
  /** The read/write check before migrating (default: the real write probe). */
  probe?: DatabaseProbe;
}

/**
 * Opens (creating its folder) a SQLite database with the pragmas Casebook relies on:
 * WAL, NORMAL sync (durable at checkpoints, fast commits), foreign keys, busy timeout.
 * A database that cannot be created, opened, read or written throws DatabaseAccessError
 * (one line: the path, the reason, the fix) before any migration runs.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  let sqlite: Database.Database | undefined;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    sqlite = new Database(file);
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('temp_store = MEMORY');
  } catch (error) {
    sqlite?.close();
    throw databaseAccessError(file, error);
  }
  const check = checkDatabase(sqlite, options.probe);
  if (!check.ok) {
    sqlite.close();
    throw databaseAccessError(file, check);
  }
  const db = drizzle(sqlite, { schema }) as Db;
  if (options.migrate !== false) migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return db;
}

const walGuards = new WeakMap<Sqlite, () => void>();

/** Runs before every `transaction()` on this connection (the WAL size backstop, checkpointer.ts). */
export function guardWrites(db: Db, guard: () => void): void {
  walGuards.set(db.$client, guard);
}

/**
 * Runs `fn` in one synchronous transaction (BEGIN IMMEDIATE: writers queue up front).
 * Refused at once while the database refuses writes (its file is gone or damaged: faults.ts);
 * a failure for lack of space marks the storage full, the next success marks it recovered.
 */
export function transaction<T>(db: Db, fn: () => T): T {
  const sqlite = db.$client;
  if (sqlite.inTransaction) return sqlite.transaction(fn).immediate();
  const faults = faultsOf(sqlite);
  const refused = faults.refusalError();
  if (refused) throw refused;
  walGuards.get(sqlite)?.();
  try {
    const result = sqlite.transaction(fn).immediate();
    faults.writeSucceeded();
    return result;
  } catch (error) {
    if (isStorageFull(error)) faults.storageFull();
    throw error;
  }
}
