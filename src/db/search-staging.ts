/**
 * The search index inside a group commit (SQLite only; drizzle/0042_search_pending.sql).
 *
 * FTS5 writes the terms it holds in memory out to disk as a new segment at every savepoint of
 * the transaction, and SQLite opens one for every statement that may fail half-way (a
 * multi-row insert, one with triggers). A group commit runs each unit in a savepoint of its own
 * and many statements in each: a new case indexed by its trigger became a segment of its own at
 * the next statement, later merged with the others (measured: an FTS5 document costs ~3 times
 * as much written that way; docs/performance.md "Issue 11 on 2026-12-05").
 *
 * So while a group's transaction is open on a connection, the insert triggers of cases and
 * customers put their search documents into `search_pending` (a plain table: a unit rolled back
 * takes its documents with it), and `indexStaged` moves them into the index in one statement
 * just before the COMMIT: one segment for the whole group. Every other write indexes at once,
 * as before; the SQL function `casebook_search_later()` tells the triggers which applies.
 */
import type { Database as Sqlite } from 'better-sqlite3';
import { statement } from './fast.js';
import type { Db } from './client.js';

/**
 * Connections with a group commit's transaction open now: their new documents wait (see
 * above); true once a trigger has asked (a document may be waiting).
 */
const staging = new WeakMap<Sqlite, boolean>();

/** `casebook_search_later()` on this connection: 1 while its group commit stages, else 0. */
export function searchLater(sqlite: Sqlite): number {
  if (!staging.has(sqlite)) return 0;
  staging.set(sqlite, true);
  return 1;
}

/** From here until `indexStaged` (or `stopStaging`), new documents on this connection wait in `search_pending`. */
export function startStaging(db: Db): void {
  staging.set(db.$client, false);
}

/** No longer staging (the transaction was lost: SQLite rolled the waiting documents back with it). */
export function stopStaging(db: Db): void {
  staging.delete(db.$client);
}

const MOVE = `INSERT INTO search_fts(rowid, subject, body, name, email, organization)
  SELECT rowid, subject, body, name, email, organization FROM search_pending ORDER BY rowid`;

/**
 * Moves the documents waiting in `search_pending` into the index, in the transaction about to
 * commit (in rowid order: FTS5 keeps them as one segment), and stops staging. `asked`: whether
 * a trigger asked since staging started (else nothing can be waiting).
 */
export function indexStaged(db: Db, asked = staging.get(db.$client) === true): void {
  staging.delete(db.$client);
  if (!asked || statement(db, 'SELECT 1 FROM search_pending LIMIT 1').pluck().get() === undefined) return;
  statement(db, MOVE).run();
  statement(db, 'DELETE FROM search_pending').run();
}
