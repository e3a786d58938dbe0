/**
 * Can Casebook read and write its database? Checked at start-up (a database it cannot write
 * stops the server with one line naming the path and the fix, instead of serving pages whose
 * every write fails) and by `GET /health` (503 with the reason).
 *
 * The write probe changes a page and rolls back: `BEGIN IMMEDIATE` alone succeeds on a
 * read-only file in WAL mode, the page write is what SQLite refuses (SQLITE_READONLY). It
 * never waits long for another writer: a database busy with someone else's write is working.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { withBusyTimeout } from './begin.js';

type Sqlite = Database.Database;

export type DatabaseCheck = { ok: true; busy?: true } | { ok: false; code: string; reason: string };

/** What the probe runs; tests inject a failing one. */
export type DatabaseProbe = (sqlite: Sqlite) => void;

const PROBE_BUSY_TIMEOUT_MS = 200;

/** Reads the schema, then writes the header's user_version (unchanged) inside a rolled-back transaction. */
export const writeProbe: DatabaseProbe = (sqlite) => {
  sqlite.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
  if (sqlite.readonly) throw Object.assign(new Error('the database is opened read-only'), { code: 'SQLITE_READONLY' });
  if (sqlite.inTransaction) return; // a transaction of ours is open: the connection is writing
  const wait = Math.min(Number(sqlite.pragma('busy_timeout', { simple: true })), PROBE_BUSY_TIMEOUT_MS);
  withBusyTimeout(sqlite, wait, () => {
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      const version = sqlite.pragma('user_version', { simple: true }) as number;
      sqlite.pragma(`user_version = ${Number(version)}`);
    } finally {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    }
  });
};

/** The error's code, under drizzle's wrapper too (its `cause` is the SqliteError). */
function codeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'UNKNOWN';
}

/** The database can be read and written (a closed connection, or any SQLite error, is a failure). */
export function checkDatabase(sqlite: Sqlite, probe: DatabaseProbe = writeProbe): DatabaseCheck {
  if (!sqlite.open) return { ok: false, code: 'CLOSED', reason: 'the database connection is closed' };
  try {
    probe(sqlite);
    return { ok: true };
  } catch (error) {
    const code = codeOf(error);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return { ok: true, busy: true };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code, reason: describe(code, message) };
  }
}

function describe(code: string, message: string): string {
  if (code.startsWith('SQLITE_READONLY')) return `the database cannot be written: ${message} (${code})`;
  if (code.startsWith('SQLITE_FULL')) return `the disk is full (${code})`;
  return `the database cannot be used: ${message} (${code})`;
}

/** The database cannot be opened, created or written: start-up stops with this one line. */
export class DatabaseAccessError extends Error {
  override readonly name = 'DatabaseAccessError';
  readonly code = 'DATABASE_NOT_WRITABLE';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`the database ${file} ${reason}. Fix: ${fix}`);
  }
}

function whoRuns(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'the user running Casebook' : `the user running Casebook (uid ${uid})`;
}

/** An error thrown while creating the folder or opening the file, or a failed check, as one clear line. */
export function databaseAccessError(file: string, failure: unknown): DatabaseAccessError {
  if (isFailedCheck(failure)) return accessError(file, failure.code, failure.reason);
  return accessError(file, codeOf(failure), failure instanceof Error ? failure.message : String(failure));
}

function isFailedCheck(value: unknown): value is Extract<DatabaseCheck, { ok: false }> {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

function accessError(file: string, code: string, detail: string): DatabaseAccessError {
  const dir = path.dirname(path.resolve(file));
  const who = whoRuns();
  const elsewhere = `or set DATABASE_PATH to a file in a folder ${who} can write`;
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return new DatabaseAccessError(file, `cannot be created: part of its folder path ${dir} is a file, not a folder (${code})`, `set DATABASE_PATH to a file in a folder ${who} can write`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DatabaseAccessError(file, `cannot be created: its folder ${dir} cannot be created (${code})`, `create ${dir} and let ${who} write it, ${elsewhere}`);
    case 'ENOENT':
      // A folder that exists refused a sub-folder as if it did not (/proc, /sys, a vanished mount): make-folder.ts.
      return new DatabaseAccessError(file, `cannot be created: its folder ${dir} cannot be created there (${code}; is it on a special file system such as /proc?)`, `set DATABASE_PATH to a file in a folder ${who} can write`);
    case 'SQLITE_CANTOPEN':
      return new DatabaseAccessError(file, `cannot be opened or created in ${dir} (${code})`, `make ${dir} a folder ${who} can write (SQLite keeps its -wal and -shm files beside the database), ${elsewhere}`);
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new DatabaseAccessError(file, `is not a usable SQLite database (${code})`, 'set DATABASE_PATH to a Casebook database or a new file, or restore this one from a backup');
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_LOCKED':
      // Start-up's writes (the migrations, seeding) waited DATABASE_BUSY_TIMEOUT_MS for another process's write lock.
      return new DatabaseAccessError(
        file,
        `is locked by another process, which held its write lock for longer than DATABASE_BUSY_TIMEOUT_MS (${code})`,
        'let that process finish or stop it (a command-line script such as `npm run import` or `npm run sla:sweep`, a sqlite3 shell with a transaction open), then start Casebook again',
      );
    default:
      if (code.startsWith('SQLITE_FULL')) {
        return new DatabaseAccessError(file, `cannot grow: the disk holding ${dir} is full (${code})`, 'free space on that disk (the migrations and the writes of start-up need room), or move the database to a disk with room and set DATABASE_PATH to it, then start Casebook again');
      }
      if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
        return new DatabaseAccessError(file, `is read-only (${code})`, `let ${who} write the file, its -wal and -shm files and the folder ${dir} (chown/chmod, or mount it read-write), ${elsewhere}`);
      }
      return new DatabaseAccessError(file, `cannot be used: ${detail.replace(/\s+/g, ' ')} (${code})`, `check that ${dir} is a writable local folder with free space, ${elsewhere}`);
  }
}
