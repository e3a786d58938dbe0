/**
 * The storage port (docs/postgres.md, "Phase 2: the storage port"): commands written once,
 * run on SQLite or PostgreSQL. `store.write(fn)` runs `fn` in a write transaction and
 * `store.read(fn)` in a read one; `fn` gets a Handle and awaits its queries.
 *
 * **The handle's database type is PostgreSQL's**, on both dialects. drizzle's query builders
 * are thenable on both, so `await q.db.select().from(q.tables.cases)…` runs the same on SQLite
 * (the object there is the better-sqlite3 drizzle database and SQLite tables), and the tables'
 * row types are identical (tsc checks it: test/postgres/schema-file.test.ts), so the results
 * are typed alike. PostgreSQL's type is the one without the synchronous terminals: `.all()`,
 * `.get()`, `.run()` — today's ~330 call sites — do not compile on a handle, so a command
 * half converted fails in tsc instead of on PostgreSQL only. (SQLite's type as the common
 * one would accept them; a narrow shared interface would have to restate drizzle's builders.)
 * What the type cannot say:
 * - PostgreSQL-only builder methods (`.for('update')`, `distinctOn`) are absent on SQLite at
 *   run time: they belong in a feature's pg.ts, not in shared command code.
 * - A write without `.returning()` resolves to a different driver result on each dialect:
 *   count rows with `.returning({ id })` (an optimistic version check: `UPDATE … WHERE version
 *   = $n RETURNING id`, zero rows = conflict) or `q.run(sql)` (`{ changes }` on both).
 * - Raw SQL (`q.all/get/run`, drizzle's `sql` tag) must be valid on the dialect: SQL that
 *   differs lives in one sqlite.ts / pg.ts pair per feature, chosen by `q.dialect`.
 */
import type { SQL } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type * as pgSchema from '../pg/schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** The dialect's schema module: the same export names and row types on both (src/db/schema, src/db/pg/schema.ts). */
export type Tables = typeof pgSchema;

/** A drizzle database or transaction of the handle's dialect, typed as PostgreSQL's (above). */
export type StoreDb = PgDatabase<NodePgQueryResultHKT, Tables>;

export interface Handle {
  dialect: Dialect;
  db: StoreDb;
  tables: Tables;
  /** Raw SQL (drizzle's `sql` tag): the rows, as the driver hands them out (int8 as numbers on PostgreSQL). */
  all<R = Record<string, unknown>>(query: SQL): Promise<R[]>;
  /** The first row, or undefined. */
  get<R = Record<string, unknown>>(query: SQL): Promise<R | undefined>;
  /** A statement without rows: how many rows it changed. */
  run(query: SQL): Promise<{ changes: number }>;
  /** `fn` in a savepoint of this transaction: rolled back alone if it throws (a command composed of others). */
  savepoint<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
}

export interface Store {
  dialect: Dialect;
  /**
   * `fn` in a read transaction (one snapshot). On SQLite `fn` must await only the database
   * (see write).
   */
  read<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /**
   * `fn` in a read transaction (one snapshot) that may take long — a report, a dashboard — and
   * must not hold up the rest of the work. SQLite: on a read-only connection of its own, where
   * `fn` lets the event loop run between statements with `breathe(q)` (./sqlite.ts), while the
   * main connection goes on writing; inside a write or read, and for a database in memory, a
   * `read`. PostgreSQL: a `read` (a pooled connection; the statements wait for the network).
   * `fn` writes nothing.
   */
  report<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /**
   * `fn` outside any transaction of its own: each statement commits by itself (autocommit) —
   * for a page's or a middleware's reads that need no common snapshot, and single-statement
   * writes, without the BEGIN/COMMIT round trips of `read`/`write`. Called inside a `read` or
   * `write` it runs in that transaction. `savepoint` on its handle opens a transaction.
   */
  query<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /**
   * `fn` in a write transaction; resolves after COMMIT. SQLite: a unit of group commit, which
   * must await only the database (nothing else: no timer, network, file — do that before or
   * after), or it fails with UNIT_AWAITED_IO. PostgreSQL: READ COMMITTED, retried on a
   * serialization failure or deadlock (SQLSTATE 40001, 40P01), so `fn` may run more than once:
   * it must not have effects outside the database. Called inside another write's `fn`, it runs
   * in a savepoint of that transaction.
   */
  write<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the write in progress has committed (a live signal that must not reach
   * another listener before the change is visible): on SQLite after the current turn
   * (better-sqlite3 commits synchronously in it); on PostgreSQL after the outermost
   * transaction's COMMIT has been answered — never when it rolls back, once per successful
   * run. Outside a write, soon (next turn). `fn` must not throw.
   */
  afterCommit(fn: () => void): void;
  close(): Promise<void>;
}
