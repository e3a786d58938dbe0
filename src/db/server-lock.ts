/**
 * One server per database file. A second `npm start` on the same DATABASE_PATH would run a
 * second set of in-memory state (live page updates, presence, rate limits, the group commit's
 * queue) beside the first, so start-up stops it with one line instead.
 *
 * The lock is an SQLite file beside the database (`<DATABASE_PATH>-lock`) whose write lock
 * (`BEGIN IMMEDIATE`, never committed) the server holds while it runs. SQLite's locks are the
 * operating system's file locks: they go with the process, so a server killed with `kill -9`
 * leaves no stale lock behind, and nothing has to be cleaned up. The lock file also records
 * who holds it (pid, host, since), committed before the lock is taken, which the refused
 * process reads (a write lock does not keep readers out) to say which server is running.
 *
 * The command-line scripts (`npm run sla:sweep`, `report`, `backup`…) do not take the lock:
 * they are meant to run beside the server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { databaseAccessError } from './access.js';
import { makeFolder } from './make-folder.js';

/** How long taking the lock waits for another process's short write of the holder row. */
const LOCK_WAIT_MS = 1000;

export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  readonly code = 'DATABASE_IN_USE';
  constructor(
    readonly file: string,
    readonly holder: string | null,
  ) {
    super(`the database ${file} is in use by another Casebook server${holder ? ` (${holder})` : ''}. Fix: stop that server first, or set DATABASE_PATH to another database file`);
  }
}

export interface ServerLock {
  /** The lock file (`<database>-lock`). */
  file: string;
  /** Gives the lock up (at shutdown; a process that dies gives it up anyway). */
  release(): void;
}

export function lockFileOf(databaseFile: string): string {
  return `${databaseFile}-lock`;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function holderOf(sqlite: Database.Database): string | null {
  try {
    const row = sqlite.prepare('SELECT pid, host, since FROM holder WHERE id = 1').get() as { pid: number; host: string; since: string } | undefined;
    return row ? `pid ${row.pid} on ${row.host}, running since ${row.since}` : null;
  } catch {
    return null; // not yet written, or being written: the line names no holder
  }
}

/**
 * Takes the database's server lock, or throws DatabaseInUseError (another server holds it) or
 * DatabaseAccessError (the folder or the lock file cannot be created or written: one line).
 */
export function lockServerDatabase(databaseFile: string, options: { now?: Date; waitMs?: number } = {}): ServerLock {
  const file = lockFileOf(databaseFile);
  let sqlite: Database.Database | undefined;
  try {
    makeFolder(path.dirname(databaseFile));
    sqlite = new Database(file);
    sqlite.pragma(`busy_timeout = ${options.waitMs ?? LOCK_WAIT_MS}`);
  } catch (error) {
    sqlite?.close();
    throw databaseAccessError(databaseFile, error);
  }
  try {
    sqlite.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const holder = isBusy(error) ? holderOf(sqlite) : null;
    sqlite.close();
    throw isBusy(error) ? new DatabaseInUseError(databaseFile, holder) : databaseAccessError(databaseFile, error);
  }
  try {
    sqlite.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)');
    sqlite.prepare('INSERT OR REPLACE INTO holder (id, pid, host, since) VALUES (1, ?, ?, ?)').run(process.pid, os.hostname(), (options.now ?? new Date()).toISOString());
    // Committed so that a refused server can read it; the lock is taken again at once. A
    // server that got in between holds it now, and this one is the one refused.
    sqlite.exec('COMMIT');
    sqlite.exec('BEGIN IMMEDIATE');
  } catch (error) {
    const busy = isBusy(error);
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    const holder = busy ? holderOf(sqlite) : null;
    sqlite.close();
    throw busy ? new DatabaseInUseError(databaseFile, holder) : databaseAccessError(databaseFile, error);
  }
  const held = sqlite;
  return {
    file,
    release() {
      if (!held.open) return;
      if (held.inTransaction) held.exec('ROLLBACK');
      held.close();
    },
  };
}
