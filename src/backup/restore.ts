/**
 * `npm run restore -- <file>`: puts a backup in place of the database (DATABASE_PATH) and
 * its files into the attachment store (ATTACHMENTS_DIR). Refused while a server (or anything)
 * holds the database: the check takes SQLite's exclusive lock, which any open connection
 * prevents. The backup is checked first (integrity_check, Casebook's tables) and its
 * migrations must be this code's or older (older ones are applied at the next start); a
 * backup made by a newer Casebook is refused. The database it replaces is kept beside it as
 * `<name>.before-restore-<time>` (with its -wal, so nothing committed is lost), and the new
 * file is copied to `<name>.restoring` and renamed into place, so a crash midway leaves one
 * whole database or the other. Customers erased in the replaced database after the backup was
 * made are listed (`erasedSince`) for the command to erase again.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeFolder } from '../db/make-folder.js';
import { migrationStatus, type MigrationStatus } from '../db/migrations-status.js';
import { BackupError, checkBackupFile, copyFiles, filesDirOf } from './backup.js';

export interface RestoreResult {
  file: string;
  cases: number;
  /** Where the replaced database went; null when there was none. */
  previous: string | null;
  migrations: MigrationStatus;
  attachments: number;
  /**
   * Customers erased in the replaced database after this backup was made (their erasures are
   * not in the backup): the backup still holds their data, so the restore erases them again
   * (scripts/restore.ts, with `eraseCustomer`). Empty when nothing was replaced.
   */
  erasedSince: { erasure: number; customerId: number }[];
}

/** Throws when some connection has the database open (a running server); `then` names what waits for it. */
export function assertNotInUse(file: string, then = 'restore'): void {
  if (!fs.existsSync(file)) return;
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (error) {
    throw new BackupError(`${file} cannot be opened to check whether it is in use: ${(error as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new BackupError(`${file} is in use (a Casebook server or another program has it open); stop the server first, then ${then}`);
    }
    throw new BackupError(`${file} cannot be checked: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

function backupMigrations(file: string): MigrationStatus {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return migrationStatus(db);
  } finally {
    db.close();
  }
}

/**
 * The customer erasures (request, whole customer, completed) of `previous` that `restored` has
 * not: made after the backup was taken. Matched by id and time, the two files being one
 * database at two moments.
 */
export function erasuresSince(previous: string, restored: string): { erasure: number; customerId: number }[] {
  const read = (file: string) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const table = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'erasures'").get()!.n;
      if (table === 0) return [];
      return db.prepare<[], { id: number; customer_id: number; started_at: number }>("SELECT id, customer_id, started_at FROM erasures WHERE case_id IS NULL AND reason = 'request' AND completed_at IS NOT NULL ORDER BY id").all();
    } finally {
      db.close();
    }
  };
  const known = new Set(read(restored).map((e) => `${e.id}:${e.started_at}`));
  return read(previous)
    .filter((e) => !known.has(`${e.id}:${e.started_at}`))
    .map((e) => ({ erasure: e.id, customerId: e.customer_id }));
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function restoreDatabase(backup: string, target: string, options: { attachmentsDir?: string | null; now?: number } = {}): RestoreResult {
  const source = path.resolve(backup);
  const file = path.resolve(target);
  if (!fs.existsSync(source)) throw new BackupError(`there is no backup at ${source}`);
  const { cases } = checkBackupFile(source);
  const migrations = backupMigrations(source);
  if (migrations.state === 'ahead' || migrations.state === 'unknown') throw new BackupError(`${source} cannot be restored by this Casebook: ${migrations.reason}`);
  assertNotInUse(file);
  makeFolder(path.dirname(file));
  // The files first (content-addressed: an extra one harms nothing), so a copy that fails (a
  // full disk) leaves the database as it was rather than one whose attachments are missing.
  const dir = options.attachmentsDir ?? null;
  const attachments = dir ? copyFiles(filesDirOf(source), dir) : 0;
  const incoming = `${file}.restoring`;
  try {
    fs.copyFileSync(source, incoming);
  } catch (error) {
    fs.rmSync(incoming, { force: true });
    throw error;
  }
  fs.rmSync(`${incoming}-wal`, { force: true });
  fs.rmSync(`${incoming}-shm`, { force: true });
  let previous: string | null = null;
  if (fs.existsSync(file)) {
    previous = `${file}.before-restore-${stamp(options.now ?? Date.now())}`;
    fs.renameSync(file, previous);
    for (const suffix of ['-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, previous + suffix);
    }
  }
  fs.renameSync(incoming, file);
  const erasedSince = previous === null ? [] : erasuresSince(previous, file);
  return { file, cases, previous, migrations, attachments, erasedSince };
}
