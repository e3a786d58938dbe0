import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { checkDatabase, databaseAccessError, type DatabaseProbe } from './access.js';
import { faultsOf, isStorageFull } from './faults.js';
import { makeFolder } from './make-folder.js';
import { migrateSqlite } from './migrate.js';
import { whileBusy } from './begin.js';
import { statement } from './fast.js';
import { holdsYielded, UnitAwaitedIoError } from './unit-rule.js';
import { REPO_ROOT } from '../repo-root.js';
import { useWalJoining } from './wal-coalesce.js';
import { searchText } from '../text/search-text.js';
import { indexWaitingAtOpen, searchLater } from './search-staging.js';
import { noteSecureDeletes, secureDeletesOffAtOpen } from './search-secure-delete.js';
import * as schema from './schema/index.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export type Sqlite = Database.Database;

export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'drizzle');

export interface OpenDatabaseOptions {
  /** Milliseconds a statement waits for a lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Run migrations (default true). */
  migrate?: boolean;
  /** The read/write check before migrating (default: the real write probe). */
  probe?: DatabaseProbe;
}

/**
 * The SQL functions Casebook's schema calls, registered on a connection: `casebook_search_text`,
 * the text the search index's triggers give FTS5 (src/text/search-text.ts; drizzle/0033), and
 * `casebook_search_later`, whether new documents wait in `search_pending` (search-staging.ts),
 * and `casebook_secure_deletes`, which notes that the search index's secure-delete was turned on
 * (search-secure-delete.ts). A
 * connection without it cannot write a case, a message or a customer ("no such function"):
 * every connection that may is opened by `openDatabase`, which registers it; one opened
 * otherwise that writes (a test's second connection, a migration run by hand) calls this.
 */
export function registerSqlFunctions(sqlite: Database.Database): void {
  sqlite.function('casebook_search_text', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? searchText(text) : text));
  sqlite.function('casebook_search_later', { deterministic: false }, () => searchLater(sqlite));
  sqlite.function('casebook_secure_deletes', { deterministic: false }, () => noteSecureDeletes(sqlite));
}

/**
 * Opens (creating its folder) a SQLite database with the pragmas Casebook relies on:
 * WAL, NORMAL sync (durable at checkpoints, fast commits), foreign keys, busy timeout,
 * secure_delete (below), and Casebook's SQL functions (`registerSqlFunctions`).
 * A database that cannot be created, opened, read or written throws DatabaseAccessError
 * (one line: the path, the reason, the fix) before any migration runs.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  let sqlite: Database.Database | undefined;
  try {
    if (file !== ':memory:') makeFolder(path.dirname(file));
    useWalJoining(); // before the first connection: every later one writes its WAL through it
    sqlite = new Database(file);
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('temp_store = MEMORY');
    // Every write zeroes the bytes it frees: a deleted or moved row's cell, a page that a split
    // turns from a leaf into an interior page, a page put on the free list. Without it those
    // bytes stay in the file, and an erasure (docs/privacy.md), which can only zero what it
    // deletes itself, left a customer's words behind: copies of rows in the free space of
    // pages it never touches. It costs no extra page written per intake and no CPU the
    // intake benches can tell apart (docs/performance.md "secure_delete").
    sqlite.pragma('secure_delete = ON');
    registerSqlFunctions(sqlite);
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
  if (options.migrate !== false) {
    try {
      // A command-line script of older code refuses a database a newer Casebook migrated, as start-up does.
      migrateSqlite(db, MIGRATIONS_DIR, file === ':memory:' ? null : file);
      // Search documents lone commits left waiting when the last server stopped (search-staging.ts).
      indexWaitingAtOpen(db);
      secureDeletesOffAtOpen(db);
    } catch (error) {
      sqlite.close();
      throw error;
    }
  }
  return db;
}

/** What the checkpointer runs around every write transaction of the server's connection (checkpointer.ts). */
export interface WriteGuard {
  /** Before it begins: the writer gate (stand aside while the checkpoint worker holds writers off), then the WAL size backstop. */
  before(): void;
  /** Once it is over, committed, rolled back or never begun: the writer gate opened for the worker. */
  after(): void;
}

const writeGuards = new WeakMap<Sqlite, WriteGuard>();

export function guardWrites(db: Db, guard: WriteGuard): void {
  writeGuards.set(db.$client, guard);
}

/**
 * What must run before a write transaction begins on this connection (`transaction()` here,
 * group-commit.ts too): refused at once while the database refuses writes (its file is gone
 * or damaged: faults.ts), then the write guard. Every call is followed by `writeEnded` once the
 * transaction is over (or failed to begin).
 */
export function beforeWrite(db: Db): void {
  const refused = faultsOf(db.$client).refusalError();
  if (refused) throw refused;
  writeGuards.get(db.$client)?.before();
}

/** The write transaction that `beforeWrite` let begin is over (or never began). */
export function writeEnded(db: Db): void {
  writeGuards.get(db.$client)?.after();
}

/**
 * What a write transaction's outcome tells faults.ts: a failure for lack of space marks the
 * storage full, a commit marks it recovered. `error` undefined: committed.
 */
export function afterWrite(db: Db, error?: unknown): void {
  const faults = faultsOf(db.$client);
  if (error === undefined) faults.writeSucceeded();
  else if (isStorageFull(error)) faults.storageFull();
}

/**
 * Runs `fn` (reads) in one read transaction: one snapshot, and the WAL read lock taken once
 * instead of by every statement (each statement outside a transaction takes and drops it).
 */
export function readTransaction<T>(db: Db, fn: () => T): T {
  if (db.$client.inTransaction) return fn();
  statement(db, 'BEGIN DEFERRED').run();
  try {
    const result = fn();
    statement(db, 'COMMIT').run();
    return result;
  } catch (error) {
    if (db.$client.inTransaction) statement(db, 'ROLLBACK').run();
    throw error;
  }
}

/**
 * Runs `fn` in a savepoint of the open transaction, rolled back if it throws (or returns a
 * promise: a unit of work is synchronous): what better-sqlite3's nested `transaction()` does,
 * on cached statements instead of a new wrapper function per call.
 */
export function inSavepoint<T>(db: Db, fn: () => T): T {
  statement(db, 'SAVEPOINT unit').run();
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
    statement(db, 'RELEASE unit').run();
    return result;
  } catch (error) {
    rollBackSavepoint(db);
    throw error;
  }
}

/** Undoes the savepoint `unit` of inSavepoint (group-commit-async.ts's too), unless SQLite already rolled the whole transaction back. */
export function rollBackSavepoint(db: Db): void {
  if (!db.$client.inTransaction) return;
  statement(db, 'ROLLBACK TO unit').run();
  statement(db, 'RELEASE unit').run();
}

/**
 * Runs `fn` in one synchronous transaction (BEGIN IMMEDIATE: writers queue up front).
 * Refused at once while the database refuses writes (beforeWrite); a failure for lack of
 * space marks the storage full, the next success marks it recovered (afterWrite).
 */
export function transaction<T>(db: Db, fn: () => T): T {
  const sqlite = db.$client;
  if (sqlite.inTransaction) {
    // Not into a transaction held by an async unit that broke the rule (unit-rule.ts).
    if (holdsYielded(sqlite)) throw new UnitAwaitedIoError('the unit holding the transaction');
    return sqlite.transaction(fn).immediate();
  }
  beforeWrite(db);
  try {
    // Tried again only while its BEGIN IMMEDIATE was refused (`began` still false): `fn` never runs twice.
    let began = false;
    const run = sqlite.transaction(() => {
      began = true;
      return fn();
    });
    const result = whileBusy(sqlite, () => run.immediate(), () => !began);
    afterWrite(db);
    return result;
  } catch (error) {
    afterWrite(db, error);
    throw error;
  } finally {
    writeEnded(db);
  }
}
