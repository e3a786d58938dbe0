/**
 * FTS5's `secure-delete` on the search index only while a transaction deletes from it (SQLite
 * only; PostgreSQL's index has no such setting). Since migration 0018 it was on for good: a
 * deleted document's entries leave the index pages at COMMIT instead of lingering in older
 * segments (docs/privacy.md). But FTS5 (3.53) decides whether an entry it writes is a delete by
 * the low bit of the first byte of its position list's size, a varint: for a word seen 62 times
 * or more in one column of one document that is the high byte, and about half of such words
 * then cost a lookup of the word in every segment of the index at COMMIT, for nothing: 8 KB
 * documents of a small vocabulary took 273–306 µs each at COMMIT with it on, 20–22 off; in an
 * English mail of a few KB, "the" alone is such a word (docs/performance.md, thirteenth session).
 *
 * So the setting is off (migration 0046), and whatever deletes documents turns it on first in
 * its transaction: the search triggers of `cases` and `customers` (`SECURE_DELETES_ON` in their
 * SQL, migration 0046) and the erasure's statements (`secureDeletesOn`). Just before the group
 * committer's COMMIT, `secureDeletesOff` turns it off again when it may be on: FTS5 writes its
 * pending entries before it changes a setting, so the transaction's deletes go out with it on.
 * A savepoint rolled back takes its change of the setting with it (the setting is a row of
 * `search_fts_config`, which FTS5 reads again after a rollback).
 *
 * If it is ever left on (a transaction of a script's connection, not the group committer's), the
 * cost is the old slow COMMITs, never an insecure delete, until `openDatabase` next turns it off
 * (`secureDeletesOffAtOpen`: at the server's next start).
 */
import type { Db, Sqlite } from './client.js';
import { statement } from './fast.js';

const IS_ON = "SELECT 1 FROM search_fts_config WHERE k = 'secure-delete' AND v = 1";

/** The statement the triggers of migration 0046 run before their deletes (the same SQL, for the erasure's). */
export const SECURE_DELETES_ON = `INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 1 WHERE casebook_secure_deletes() AND NOT EXISTS (${IS_ON})`;

const OFF = `INSERT INTO search_fts(search_fts, rank) SELECT 'secure-delete', 0 WHERE EXISTS (${IS_ON})`;

/** Connections that may have turned it on since they last turned it off. */
const maybeOn = new WeakSet<Sqlite>();

/** `casebook_secure_deletes()` (registered by `registerSqlFunctions`): notes that this connection turns it on. */
export function noteSecureDeletes(sqlite: Sqlite): number {
  maybeOn.add(sqlite);
  return 1;
}

/** Before deleting documents from the search index in the open transaction, outside the triggers. */
export function secureDeletesOn(db: Db): void {
  statement(db, SECURE_DELETES_ON).run();
}

/** Just before COMMIT: off again if this transaction (or an earlier one) may have turned it on. */
export function secureDeletesOff(db: Db): void {
  if (!maybeOn.has(db.$client)) return;
  statement(db, OFF).run();
  maybeOn.delete(db.$client);
}

/**
 * Off, if a transaction not of the group committer (a script's, an older Casebook's) left it on:
 * once, when a migrated database is opened. Only a read when it is off; when another connection
 * holds the write lock it stays on (slow, not insecure) until the next open.
 */
export function secureDeletesOffAtOpen(db: Db): void {
  if (statement(db, IS_ON).pluck().get() === undefined) return;
  try {
    statement(db, OFF).run();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
  }
}
