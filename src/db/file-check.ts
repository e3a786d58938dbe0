/**
 * Looks at an existing database file before SQLite opens it, so that what SQLite would take
 * silently (an empty file is a new database to SQLite) or answer with an anonymous error
 * (SQLITE_NOTADB, SQLITE_CORRUPT on some later query) stops start-up with one line naming
 * the file, what is wrong and what to do.
 */
import fs from 'node:fs';
import { DatabaseAccessError } from './access.js';
import type Database from 'better-sqlite3';

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const RESTORE = 'restore the database from a backup, or set DATABASE_PATH to the right file';

export interface FileInspection {
  /** No file was there: this start creates the database. */
  created: boolean;
}

function readHead(file: string): Buffer | null {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(100);
    const read = fs.readSync(fd, head, 0, 100, 0);
    return head.subarray(0, read);
  } catch {
    return null; // unreadable: SQLite's own open says why (access.ts)
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Throws DatabaseAccessError for a file Casebook must not open; tells whether the file is new. */
export function inspectDatabaseFile(file: string): FileInspection {
  let stats: fs.Stats | undefined;
  try {
    stats = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return { created: true }; // a folder path through a file, an unreadable folder: opening it says why (access.ts)
  }
  if (!stats) return { created: true };
  if (stats.isDirectory()) throw new DatabaseAccessError(file, 'is a folder, not a file', 'set DATABASE_PATH to a file path (e.g. a casebook.db inside that folder)');
  if (stats.size === 0) {
    throw new DatabaseAccessError(
      file,
      'is an empty file (0 bytes), not a Casebook database; an empty file is not taken as a new database, as it is more often a failed copy or restore',
      `${RESTORE}; to start a new database, delete the empty file and start Casebook again`,
    );
  }
  const head = readHead(file);
  if (head === null) return { created: false };
  if (head.length < HEADER.length || !head.subarray(0, HEADER.length).equals(HEADER)) {
    throw new DatabaseAccessError(file, `is not an SQLite database: it does not start with the SQLite header (${stats.size} bytes)`, RESTORE);
  }
  if (head.length === 100) {
    const rawPageSize = head.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    const pages = head.readUInt32BE(28);
    // The page count is valid when the header's version-valid-for matches its change counter.
    const countValid = head.readUInt32BE(92) === head.readUInt32BE(24) && pages > 0;
    // With a WAL beside it, a checkpoint cut short may not have extended the file yet: the WAL completes it.
    const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
    if (countValid && (!wal || wal.size === 0) && pages * pageSize > stats.size) {
      throw new DatabaseAccessError(file, `is truncated: its header describes ${pages * pageSize} bytes, the file has ${stats.size}`, RESTORE);
    }
  }
  return { created: false };
}

/** After opening an existing file: it must hold Casebook's tables (a migrations table), not nothing or another application's. */
export function assertCasebookDatabase(file: string, sqlite: Database.Database): void {
  const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  if (tables.includes('__drizzle_migrations')) return;
  const what = tables.length === 0 ? 'is an SQLite database without any tables' : `holds the tables of another application (${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''}), not Casebook's`;
  throw new DatabaseAccessError(file, what, `${RESTORE}; to start a new database, delete the file (or choose a path where none exists) and start Casebook again`);
}
