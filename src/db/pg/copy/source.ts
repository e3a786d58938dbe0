/**
 * The SQLite side of a copy to PostgreSQL: the file is Casebook's, no server runs on it (the
 * copy holds the server lock, src/db/server-lock.ts, until it is done, so none starts
 * meanwhile), it is migrated to this code's last migration, and it holds no table this code
 * does not know. Rows are read in one read transaction: every table from the same snapshot.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { journalEntries, migrationStatus } from '../../migrations-status.js';
import { DatabaseInUseError, lockServerDatabase, type ServerLock } from '../../server-lock.js';
import { SQLITE_ONLY_TABLES, type CopyTable } from './plan.js';

/** Why a copy refuses to run, or failed: one line, with the fix. */
export class MigrateToPostgresError extends Error {
  override readonly name = 'MigrateToPostgresError';
  constructor(
    readonly code:
      | 'SOURCE_MISSING'
      | 'SOURCE_IN_USE'
      | 'SOURCE_NOT_CASEBOOK'
      | 'SOURCE_NOT_MIGRATED'
      | 'SOURCE_NEWER'
      | 'UNKNOWN_SOURCE_TABLE'
      | 'TARGET_UNREACHABLE'
      | 'TARGET_NEWER'
      | 'TARGET_NOT_EMPTY'
      | 'COPY_FAILED'
      | 'VERIFICATION_FAILED',
    message: string,
  ) {
    super(message);
  }
}

export interface Source {
  file: string;
  sqlite: Database.Database;
  /** SQLite's AUTOINCREMENT counters (`sqlite_sequence`) by table: ids never handed out again (read in the snapshot). */
  sequences(): Map<string, number>;
  /** Rows of `table` in primary-key order, as arrays in its columns' order. */
  rows(table: CopyTable): IterableIterator<unknown[]>;
  /** Starts the snapshot every table is read from. */
  begin(): void;
  end(): void;
  close(): void;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Opens and checks the source; every refusal is a MigrateToPostgresError. */
export function openSource(file: string, tables: readonly CopyTable[]): Source {
  if (!fs.existsSync(file)) throw new MigrateToPostgresError('SOURCE_MISSING', `There is no database at ${file}. Fix: pass --from <file>, or run this where you run npm start (or set DATABASE_PATH).`);
  let lock: ServerLock;
  try {
    lock = lockServerDatabase(file, { waitMs: 0 });
  } catch (error) {
    if (error instanceof DatabaseInUseError) {
      throw new MigrateToPostgresError(
        'SOURCE_IN_USE',
        `${file} is in use by a running Casebook server${error.holder ? ` (${error.holder})` : ''}. Fix: stop the server first: what it writes after the copy would be lost.`,
      );
    }
    throw error;
  }
  let sqlite: Database.Database | undefined;
  try {
    try {
      sqlite = new Database(file, { readonly: true, fileMustExist: true });
      sqlite.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new MigrateToPostgresError('SOURCE_NOT_CASEBOOK', `${file} cannot be opened as a SQLite database: ${(error as Error).message}`);
    }
    checkSource(file, sqlite, tables);
    const db = sqlite;
    return {
      file,
      sqlite: db,
      sequences() {
        // SQLite creates sqlite_sequence with the first AUTOINCREMENT table (Casebook's cases).
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
        if (!exists) return new Map();
        return new Map(db.prepare<[], { name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence').all().map((r) => [r.name, Number(r.seq)]));
      },
      rows(table) {
        const columns = table.columns.map((c) => quote(c.name)).join(', ');
        return db.prepare(`SELECT ${columns} FROM ${quote(table.name)} ORDER BY ${table.primaryKey.map(quote).join(', ')}`).raw(true).iterate() as IterableIterator<unknown[]>;
      },
      begin() {
        db.exec('BEGIN DEFERRED');
        // A deferred transaction takes its snapshot at its first read.
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      },
      end() {
        if (db.inTransaction) db.exec('COMMIT');
      },
      close() {
        if (db.open) {
          if (db.inTransaction) db.exec('ROLLBACK');
          db.close();
        }
        lock.release();
      },
    };
  } catch (error) {
    sqlite?.close();
    lock.release();
    throw error;
  }
}

function checkSource(file: string, sqlite: Database.Database, tables: readonly CopyTable[]): void {
  const status = migrationStatus(sqlite, journalEntries());
  if (status.state === 'unknown') throw new MigrateToPostgresError('SOURCE_NOT_CASEBOOK', `${file} is not a Casebook database (${status.reason}). Fix: pass --from the server's database file.`);
  if (status.state === 'behind') {
    throw new MigrateToPostgresError(
      'SOURCE_NOT_MIGRATED',
      `${file} is not migrated to this Casebook's latest migration (missing ${status.missing.join(', ')}). Fix: start this version once on it (npm start), stop it, then copy.`,
    );
  }
  if (status.state === 'ahead') throw new MigrateToPostgresError('SOURCE_NEWER', `${file}: ${status.reason}. Fix: copy with the Casebook version that runs on it.`);
  const known = new Map(tables.map((t) => [t.name, t]));
  const skipped = new Set(SQLITE_ONLY_TABLES);
  for (const { name } of sqlite.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()) {
    if (skipped.has(name)) continue;
    const table = known.get(name);
    if (!table) throw new MigrateToPostgresError('UNKNOWN_SOURCE_TABLE', `${file} has a table this tool does not know: ${name}. Fix: copy with the Casebook version that created it.`);
    const columns = new Set(table.columns.map((c) => c.name));
    const unknown = sqlite
      .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info(${`'${name.replace(/'/g, "''")}'`})`)
      .all()
      .map((c) => c.name)
      .filter((c) => !columns.has(c));
    if (unknown.length) throw new MigrateToPostgresError('UNKNOWN_SOURCE_TABLE', `${file}: ${name} has columns this tool does not know: ${unknown.join(', ')}. Fix: copy with the Casebook version that created them.`);
  }
}
