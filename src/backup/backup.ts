/**
 * `npm run backup -- <file>`: a consistent copy of the database while the server runs and
 * writes, with SQLite's online backup API (better-sqlite3's `backup()`): after a first step of
 * 100 pages the rest is copied in one step, inside one read transaction, so writers go on
 * (WAL) and the copy is the database as of one commit — a backup restarted by a write from
 * another connection in between starts over at most once. The copy is written to
 * `<file>.partial`, checked (`PRAGMA integrity_check`, Casebook's tables) and renamed into
 * place; an existing `<file>` is never overwritten. The attachments: the store's files
 * (content-addressed, never changed once written, each written before the row naming it
 * commits) are copied to `<file>-files/` after the database's copy was taken, so every file
 * the copy names is there, and before it is renamed into place: a `<file>` is a whole backup,
 * and one whose files could not all be copied (a full disk) is not kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeFolder } from '../db/make-folder.js';

export interface BackupResult {
  file: string;
  bytes: number;
  cases: number;
  /** `<file>-files`, when there were attachments to copy. */
  attachments: { dir: string; files: number } | null;
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/**
 * The backup and restore commands copy Casebook's SQLite file; with `DATABASE_URL` naming a
 * PostgreSQL database (issue 16) there is no such file to copy: they refuse, and say what
 * backs PostgreSQL up instead (docs/deploying.md "Backups").
 */
export function refuseOnPostgres(command: 'backup' | 'restore' | 'vacuum', databaseUrl: string | undefined): void {
  if (databaseUrl === undefined || !/^postgres(ql)?:\/\//i.test(databaseUrl.trim())) return;
  if (command === 'vacuum') {
    throw new BackupError('DATABASE_URL names a PostgreSQL database: npm run vacuum rebuilds a SQLite database file (DATABASE_PATH) only. On PostgreSQL run VACUUM FULL in psql (docs/privacy.md).');
  }
  const tools = command === 'backup' ? 'pg_dump (e.g. pg_dump --format=custom "$DATABASE_URL" > casebook.dump)' : 'pg_restore (e.g. pg_restore --clean --dbname "$DATABASE_URL" casebook.dump)';
  throw new BackupError(
    `DATABASE_URL names a PostgreSQL database: npm run ${command} copies a SQLite database file (DATABASE_PATH) only. On PostgreSQL use ${tools}, and copy ATTACHMENTS_DIR beside it (docs/deploying.md "Backups").`,
  );
}

/** The folder a backup's attachment files go to. */
export function filesDirOf(backupFile: string): string {
  return `${backupFile}-files`;
}

/** Checks a database file a backup wrote or a restore reads: sound pages and Casebook's tables. */
export function checkBackupFile(file: string): { cases: number } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`${file} cannot be opened as a SQLite database: ${(error as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (error) {
      throw new BackupError(`${file} is not a sound SQLite database: ${(error as Error).message}`);
    }
    if (problems.length !== 1 || problems[0] !== 'ok') throw new BackupError(`${file} has damaged pages (integrity_check: ${problems.slice(0, 3).join('; ')})`);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('__drizzle_migrations', 'cases')").all();
    if (tables.length !== 2) throw new BackupError(`${file} is not a Casebook database (no ${tables.length === 0 ? '__drizzle_migrations and cases tables' : 'migrations or cases table'})`);
    return { cases: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cases').get()!.n };
  } finally {
    db.close();
  }
}

/**
 * Copies every file under `from` to `to` (existing files are kept: names are content hashes),
 * skipping `tmp/`. Each file is copied to a temporary name beside its place and renamed there,
 * so a copy cut short (a full disk, a crash) never leaves a truncated file under a content
 * hash — which a later copy would keep as it is, and a restore would serve.
 */
export function copyFiles(from: string, to: string): number {
  if (!fs.existsSync(from)) return 0;
  let count = 0;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (rel === '' && entry.name === 'tmp') continue; // unfinished writes of a running server
        walk(child);
      } else if (entry.isFile()) {
        const target = path.join(to, child);
        if (fs.existsSync(target)) continue;
        makeFolder(path.dirname(target));
        const partial = `${target}.partial-${process.pid}`;
        try {
          fs.copyFileSync(path.join(from, child), partial);
          fs.renameSync(partial, target);
        } catch (error) {
          fs.rmSync(partial, { force: true });
          throw error;
        }
        count++;
      }
    }
  };
  walk('');
  return count;
}

/** `file` resolved through the symbolic links of its longest existing ancestor (it need not exist itself). */
function realPathOf(file: string): string {
  const resolved = path.resolve(file);
  const rest: string[] = [];
  let current = resolved;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return resolved;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

/** Whether `file` is `dir` or lies under it. */
function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * A backup (or its `-files/` folder) inside ATTACHMENTS_DIR would be copied, as attachment
 * files, into every later backup — each one holding all the earlier ones, growing without
 * end, and a restore putting them all into the attachments. Refused before anything is written.
 */
function refuseInsideAttachments(file: string, attachmentsDir: string | null): void {
  if (!attachmentsDir) return;
  const dir = realPathOf(attachmentsDir);
  const target = realPathOf(file);
  if (isInside(target, dir)) {
    throw new BackupError(
      `${file} is inside ATTACHMENTS_DIR (${attachmentsDir}): the next backup would copy this one as attachment files, and every backup would hold all the earlier ones. Write backups to a folder outside ATTACHMENTS_DIR (e.g. /backups)`,
    );
  }
}

export async function backupDatabase(source: string, target: string, options: { attachmentsDir?: string | null } = {}): Promise<BackupResult> {
  const file = path.resolve(target);
  if (fs.existsSync(file)) throw new BackupError(`${file} exists already; a backup never overwrites a file (choose another name or remove it)`);
  if (!fs.existsSync(source)) throw new BackupError(`there is no database at ${source} (DATABASE_PATH)`);
  refuseInsideAttachments(file, options.attachmentsDir ?? null);
  makeFolder(path.dirname(file));
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    // The copy keeps the source's WAL mode, and every later open of it would leave -wal and
    // -shm files beside it: a backup is one self-contained file (the server turns WAL on again).
    // Vacuumed: the online backup copies every page as it is, free pages and the free space in
    // pages included. A database written before secure_delete was on for good (openDatabase)
    // may still hold bytes of rows updated or deleted there (a customer's words after their
    // erasure, docs/privacy.md). Rebuilt, the copy holds only what the database holds now.
    const copy = new Database(partial);
    copy.pragma('journal_mode = DELETE');
    copy.exec('VACUUM');
    copy.close();
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new BackupError(`the backup of ${source} failed: ${(error as Error).message}`);
  } finally {
    db.close();
  }
  let checked: { cases: number };
  try {
    checked = checkBackupFile(partial);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  // The attachment files next, then the database is renamed into place: a `<file>` is a whole
  // backup, its files included. A copy that fails (a full disk) keeps neither, and says so.
  const dir = options.attachmentsDir ?? null;
  let attachments: BackupResult['attachments'] = null;
  if (dir && fs.existsSync(dir)) {
    const filesDir = filesDirOf(file);
    const existed = fs.existsSync(filesDir);
    try {
      attachments = { dir: filesDir, files: copyFiles(dir, filesDir) };
    } catch (error) {
      fs.rmSync(partial, { force: true });
      if (!existed) fs.rmSync(filesDir, { recursive: true, force: true });
      const reason = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? `the disk holding ${path.dirname(file)} is full` : (error as Error).message;
      throw new BackupError(`the backup failed while copying the attachment files (${dir}) to ${filesDir}: ${reason}. Nothing was kept: ${file} was not written; free space or choose another place, then back up again`);
    }
  }
  fs.renameSync(partial, file);
  return { file, bytes: fs.statSync(file).size, cases: checked.cases, attachments };
}
