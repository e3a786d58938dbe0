/**
 * `npm run vacuum`: rebuilds the database file (DATABASE_PATH) with SQLite's `VACUUM`, the
 * server stopped. The new file holds only what the database holds now: no free pages, and none
 * of the old bytes that SQLite can leave in the free space of pages (docs/privacy.md "No trace
 * in the file": all of them on a database written before secure_delete was on for good, and
 * the rare ones a rebuilt page keeps since). A database in use is refused, and is not touched.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseInUseError, lockServerDatabase, type ServerLock } from '../db/server-lock.js';
import { BackupError } from './backup.js';
import { assertNotInUse } from './restore.js';

export interface VacuumResult {
  file: string;
  bytesBefore: number;
  bytesAfter: number;
  ms: number;
}

/** The database's bytes: the file and its WAL (committed pages not yet copied into the file). */
function bytesOf(file: string): number {
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return size(file) + size(`${file}-wal`);
}

export function vacuumDatabase(file: string, now: () => number = Date.now): VacuumResult {
  if (!fs.existsSync(file)) throw new BackupError(`there is no database at ${file} (DATABASE_PATH)`);
  // Measured first: the check's connection, the last one to close, empties the WAL into the file.
  const bytesBefore = bytesOf(file);
  // The server's own lock, held throughout: a server started meanwhile refuses to start (in use)
  // instead of meeting the vacuum's lock in its first write.
  let lock: ServerLock;
  try {
    lock = lockServerDatabase(file, { waitMs: 0 });
  } catch (error) {
    if (error instanceof DatabaseInUseError) throw new BackupError(`${file} is in use by a running Casebook server${error.holder ? ` (${error.holder})` : ''}; stop the server first, then vacuum`);
    throw error;
  }
  const started = now();
  let db: Database.Database | undefined;
  try {
    // Another program (the sqlite3 shell, a copy being made) holds no such lock: asked SQLite.
    assertNotInUse(file, 'vacuum');
    db = new Database(file, { fileMustExist: true });
    // Not waiting: another program that opened it meanwhile makes this fail rather than wait on it.
    db.pragma('busy_timeout = 0');
    db.exec('VACUUM');
    // The rebuilt pages go through the WAL (the file keeps its journal mode): copied into the
    // file and the WAL emptied, so no old page image is left in either.
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy) throw new BackupError(`${file} was opened by another program during the vacuum; its WAL could not be emptied: run npm run vacuum again once it is closed`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`the vacuum of ${file} failed: ${(error as Error).message}`);
  } finally {
    db?.close();
    lock.release();
  }
  return { file, bytesBefore, bytesAfter: bytesOf(file), ms: now() - started };
}
