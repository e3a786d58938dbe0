/**
 * The search index behind group commit (SQLite only; drizzle/0042_search_pending.sql).
 *
 * FTS5 writes the terms it holds in memory out to disk as a new segment at every savepoint of
 * the transaction, and SQLite opens one for every statement that may fail half-way (a
 * multi-row insert, one with triggers). A group commit runs each unit in a savepoint of its own
 * and many statements in each: a new case indexed by its trigger became a segment of its own at
 * the next statement, later merged with the others (measured: an FTS5 document costs ~3 times
 * as much written that way; docs/performance.md "Issue 11 on 2026-12-05").
 *
 * So while a transaction of the group committer is open on a connection, the insert triggers of
 * cases, customers and (since drizzle/0047) messages put their search documents into
 * `search_pending` (a plain table: a unit
 * rolled back takes its documents with it), and they move into the index in one statement:
 * - a group's documents just before its COMMIT (`indexStaged`): one segment for the group,
 *   with whatever lone commits left waiting;
 * - a lone commit's (one unit: nothing to share a segment with) wait, committed, in
 *   `search_pending` (`leaveStaged`) until WAITING_BATCH of them wait, or a group commits, or
 *   a search is about to read the index (src/search/index-current.ts), or the database is opened
 *   (`indexWaitingAtOpen`). A document indexed alone wrote ~5 pages of FTS5's segments,
 *   structure and merges at every lone intake (docs/performance.md "Issue 11 on 2026-12-06").
 * Every other write (a `transaction()` of its own: seeds, imports, scripts) indexes at once; the
 * SQL function `casebook_search_later()` tells the triggers which applies. The update and
 * delete triggers take a document still waiting out of `search_pending` instead of telling the
 * index to forget what it never held, so a case changed or erased while its document waits is
 * indexed as it is, or not at all; so do the erasure's statements for messages
 * (src/privacy/sqlite.ts). (drizzle/0042's comment, "nothing waits here after a COMMIT",
 * predates the lone commits' waiting documents.)
 */
import type { Database as Sqlite } from 'better-sqlite3';
import { statement } from './fast.js';
import type { Db } from './client.js';

/** Lone commits' documents left waiting before the commit of the next one moves them all. */
export const WAITING_BATCH = 32;

interface Staging {
  /** A transaction of the group committer is open: new documents wait in `search_pending`. */
  open: boolean;
  /** A trigger asked since it began, or since the last move (a document of its own may be waiting). */
  asked: boolean;
  /** Waiting documents moved into the index in it (perhaps in a savepoint rolled back since). */
  moved: boolean;
  /** What its COMMIT leaves in `search_pending`, counted before it: documents, none, or as before (not looked). */
  leaves: 'documents' | 'none' | null;
  /** Committed transactions left documents waiting (until one moves them). */
  waiting: boolean;
}

const connections = new WeakMap<Sqlite, Staging>();

function stagingOf(sqlite: Sqlite): Staging {
  let staging = connections.get(sqlite);
  if (!staging) connections.set(sqlite, (staging = { open: false, asked: false, moved: false, leaves: null, waiting: false }));
  return staging;
}

/** `casebook_search_later()` on this connection: 1 while a transaction of its group committer stages, else 0. */
export function searchLater(sqlite: Sqlite): number {
  const staging = connections.get(sqlite);
  if (!staging?.open) return 0;
  staging.asked = true;
  return 1;
}

/** From here until `indexStaged` or `leaveStaged`, new documents on this connection wait in `search_pending`. */
export function startStaging(db: Db): void {
  const staging = stagingOf(db.$client);
  staging.open = true;
  staging.asked = false;
  staging.moved = false;
  staging.leaves = null;
}

const MOVE = `INSERT INTO search_fts(rowid, subject, body, name, email, organization)
  SELECT rowid, subject, body, name, email, organization FROM search_pending ORDER BY rowid`;

const anyWaiting = (db: Db) => statement(db, 'SELECT 1 FROM search_pending LIMIT 1').pluck().get() !== undefined;

/** Every waiting document into the index (in rowid order: FTS5 keeps them as one segment), in the open transaction. */
function moveAll(db: Db): void {
  if (!anyWaiting(db)) return;
  statement(db, MOVE).run();
  statement(db, 'DELETE FROM search_pending').run();
}

/** moveAll by the group committer's transaction: what it did is known at its end (stagingEnded). */
function moveWaiting(db: Db, staging: Staging): void {
  staging.moved = true;
  staging.asked = false;
  moveAll(db);
}

/**
 * Before a group's COMMIT: its new documents, and those lone commits left waiting, into the
 * index. A move made earlier in the transaction may have been rolled back with its unit's
 * savepoint, bringing documents back: so the table is looked at again then.
 */
export function indexStaged(db: Db): void {
  const staging = stagingOf(db.$client);
  staging.open = false;
  if (staging.asked || staging.moved || staging.waiting) moveWaiting(db, staging);
  staging.leaves = 'none';
}

/**
 * Before a lone transaction's COMMIT: its new documents stay waiting, unless WAITING_BATCH
 * wait now: then they all go into the index.
 */
export function leaveStaged(db: Db): void {
  const staging = stagingOf(db.$client);
  staging.open = false;
  if (!staging.asked && !staging.moved) return; // search_pending as before, but for documents changed or deleted while waiting
  const count = statement(db, `SELECT count(*) FROM (SELECT 1 FROM search_pending LIMIT ${WAITING_BATCH})`).pluck().get() as number;
  if (count >= WAITING_BATCH) moveWaiting(db, staging);
  staging.leaves = count > 0 && count < WAITING_BATCH ? 'documents' : 'none';
}

/** Every waiting document into the index, inside the unit of group commit running now on `db`. */
export function indexWaiting(db: Db): void {
  moveWaiting(db, stagingOf(db.$client));
}

/** The group committer's transaction is over: `committed`, or rolled back (search_pending as it was before). */
export function stagingEnded(db: Db, committed: boolean): void {
  const staging = connections.get(db.$client);
  if (!staging) return;
  if (committed && staging.leaves !== null) staging.waiting = staging.leaves === 'documents';
  staging.open = false;
  staging.asked = false;
  staging.moved = false;
  staging.leaves = null;
}

/**
 * Whether documents may be waiting on this connection: left by committed transactions, or new
 * in the transaction open now (src/search/index-current.ts moves them before a search). What an
 * earlier process left is moved when the database is opened (`indexWaitingAtOpen`: openDatabase,
 * and the server's start-up, startup.ts).
 */
export function documentsWaiting(db: Db): boolean {
  const staging = connections.get(db.$client);
  // A move earlier in the open transaction may have been rolled back with a savepoint: looked at again.
  return staging !== undefined && (staging.waiting || (staging.open && (staging.asked || staging.moved)));
}

/**
 * At start-up: documents a server left waiting when it stopped go into the index, in one
 * transaction (the move and the delete together, or neither). A connection opened while
 * another process holds the write lock past the busy timeout (a command-line script beside a
 * busy server) leaves them to that server, and moves them itself before its own searches.
 */
export function indexWaitingAtOpen(db: Db): void {
  const sqlite = db.$client;
  if (!anyWaiting(db)) return; // no write transaction at every start-up
  try {
    sqlite.transaction(() => moveAll(db)).immediate();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
    stagingOf(sqlite).waiting = true;
  }
}
