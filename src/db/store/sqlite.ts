/**
 * The storage port on SQLite: `write` is a unit of group commit (groupCommitAsync: units of a
 * turn share one BEGIN IMMEDIATE, each in its savepoint, awaited one after the other), `read`
 * a read transaction. Both hold the one connection while `fn` runs, so `fn` must await only
 * the database: better-sqlite3 answers at once, and a `fn` still pending once the microtask
 * queue has drained fails with UnitAwaitedIoError (group-commit-async.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Db, Sqlite } from '../client.js';
import { statement } from '../fast.js';
import { backgroundSliceMs, groupCommitAsync } from '../group-commit.js';
import { markYielded, watched } from '../unit-rule.js';
import { LONG_READS } from './long-reads.js';
import * as schema from '../schema/index.js';
import type { Handle, Store, StoreDb, Tables } from './store.js';

/** A promise of `fn()`'s result: rejected (not thrown) when it throws. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

const handles = new WeakMap<Handle, Db>();

/** The better-sqlite3 database behind a SQLite handle (a feature's sqlite.ts: cached statements, pragmas). */
export function sqliteOf(q: Handle): Db {
  const db = handles.get(q);
  if (!db) throw new TypeError(`not a SQLite handle (dialect ${q.dialect})`);
  return db;
}

function sqliteHandle(db: Db, write: (fn: (q: Handle) => Promise<unknown>) => Promise<unknown>): Handle {
  const handle: Handle = {
    dialect: 'sqlite',
    // The same drizzle database, typed as the port's (store.ts): its builders are thenable.
    db: db as unknown as StoreDb,
    tables: schema as unknown as Tables,
    all: <R>(query: SQL) => settle(() => db.all<R>(query)),
    get: <R>(query: SQL) => settle(() => db.get<R | undefined>(query)),
    run: (query: SQL) => settle(() => ({ changes: db.run(query).changes })),
    // Inside a unit the connection is in its transaction: a nested write is a savepoint.
    savepoint: <T>(fn: (q: Handle) => Promise<T>) => write(fn) as Promise<T>,
  };
  handles.set(handle, db);
  return handle;
}

const stores = new WeakMap<Store, Db>();
/** Each SQLite store's store for background work (`inBackground`). */
const backgrounds = new WeakMap<Store, Store>();

/** The handles of reports on a connection of their own (`store.report`): when each last let the event loop run. */
const reportSlices = new WeakMap<Handle, number>();

/**
 * Between two statements of a long read: on a report's own SQLite connection (`store.report`),
 * lets the event loop run once the report has held it for a slice (LONG_READS), so that requests go
 * on beside it; anywhere else it returns at once (the main connection's reads must not wait for
 * the event loop, and PostgreSQL's statements wait for the network anyway).
 */
export async function breathe(q: Handle): Promise<void> {
  const since = reportSlices.get(q);
  if (since === undefined || performance.now() - since < LONG_READS.sliceMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  reportSlices.set(q, performance.now());
}

/** A read-only connection to the main connection's file for one report; null for a database in memory, or when it cannot be opened. */
function reportConnection(sqlite: Sqlite): Db | null {
  if (sqlite.memory || sqlite.name === '' || !sqlite.open) return null;
  let own: Database.Database | undefined;
  try {
    own = new Database(sqlite.name, { readonly: true, fileMustExist: true });
    own.pragma('busy_timeout = 5000');
    return drizzle(own, { schema }) as unknown as Db;
  } catch {
    own?.close();
    return null;
  }
}

const refuseWrites = (): Promise<never> => Promise.reject(new TypeError('a report reads only: no write in store.report'));

/** The better-sqlite3 database behind a SQLite store; null for another dialect's. */
export function sqliteOfStore(store: Store): Db | null {
  return stores.get(store) ?? null;
}

/** Reads open on a connection (they share one read transaction: the last one out commits). */
const readers = new WeakMap<Sqlite, { count: number }>();

/**
 * Which connection's read the code running now is inside of (a write there is refused, not
 * queued). Asked only while a read is open. On Node 20 an enabled AsyncLocalStorage costs every
 * promise created anywhere in the process its hooks (~0.2 µs an `await`, ~200 promises an
 * intake over HTTP), so it is turned off whenever no read is open on any connection; `run`
 * turns it on again for the next read.
 */
const insideRead = new AsyncLocalStorage<Sqlite>();
/** Reads open on every connection together. */
let openReads = 0;

/** Read transactions open now, on every connection (tests: the read context is off at 0). */
export function openReadCount(): number {
  return openReads;
}

/** Whether the read context is on (Node's own flag on the storage; undefined where a Node has none). */
export function readContextEnabled(): boolean | undefined {
  return (insideRead as unknown as { enabled?: boolean }).enabled;
}

export function sqliteStore(db: Db, options: { close?: boolean } = {}): Store {
  const sqlite = db.$client;
  const writeAs = (background: boolean) => <T>(fn: (q: Handle) => Promise<T>): Promise<T> => {
    const run = () => fn(handle);
    // Another request's read holds this turn's read transaction (it ends within the turn's
    // microtasks): the write joins the group that begins after it instead of nesting in it.
    // A write inside a read itself still nests, and is refused (group-commit-async.ts).
    if ((readers.get(sqlite)?.count ?? 0) > 0 && insideRead.getStore() !== sqlite) return groupCommitAsync(db, run, background ? { queue: true, background: true } : { queue: true });
    return groupCommitAsync(db, run, background ? { background: true } : undefined);
  };
  const write = writeAs(false);
  const handle = sqliteHandle(db, write as (fn: (q: Handle) => Promise<unknown>) => Promise<unknown>);

  async function read<T>(fn: (q: Handle) => Promise<T>): Promise<T> {
    let state = readers.get(sqlite);
    if (state && state.count > 0) {
      // Another read of this turn holds the snapshot: share it.
      state.count++;
    } else {
      // Inside a write unit: its reads see what it wrote.
      if (sqlite.inTransaction) return fn(handle);
      // Counted once it has begun: a BEGIN that throws (the connection closed) leaves no read behind.
      statement(db, 'BEGIN DEFERRED').run();
      state = { count: 1 };
      readers.set(sqlite, state);
      openReads++;
    }
    let yielded = false;
    try {
      // A read that waits for the event loop holds the read transaction: nothing may write in it meanwhile.
      return await watched(() => insideRead.run(sqlite, () => fn(handle)), 'a read', () => {
        yielded = true;
        markYielded(sqlite, true);
      });
    } finally {
      if (yielded) markYielded(sqlite, false);
      endRead(state);
    }
  }

  function endRead(state: { count: number }): void {
    if (--state.count > 0) return;
    readers.delete(sqlite);
    if (--openReads === 0) insideRead.disable();
    if (sqlite.inTransaction) statement(db, 'COMMIT').run();
  }

  /**
   * A report: one snapshot on a read-only connection of its own, opened for it and closed after,
   * so `fn` may let the event loop run between its statements (`breathe`) while the main
   * connection writes and reads (WAL: the writer never waits for this reader). Inside a write
   * or a read of the main connection, and for a database in memory, it is a `read`.
   */
  async function report<T>(fn: (q: Handle) => Promise<T>): Promise<T> {
    if (sqlite.inTransaction) return read(fn);
    const own = reportConnection(sqlite);
    if (!own) return read(fn);
    try {
      statement(own, 'BEGIN DEFERRED').run();
      const reportHandle = sqliteHandle(own, refuseWrites);
      reportSlices.set(reportHandle, performance.now());
      return await fn(reportHandle);
    } finally {
      // Closing ends its read transaction.
      own.$client.close();
    }
  }

  const store: Store = {
    dialect: 'sqlite',
    read,
    report,
    write,
    // Autocommit: each statement is its own transaction (or runs in the unit or read in progress).
    query: (fn) => fn(handle),
    // The unit's transaction commits within this turn (group commit): after it, as the chat hub always did.
    afterCommit: (fn) => void setImmediate(fn),
    close() {
      if (options.close) sqlite.close();
      return Promise.resolve();
    },
  };
  stores.set(store, db);
  // The drain's: the same connection and transactions, its writes queued as background units.
  const background: Store = { ...store, write: writeAs(true) };
  stores.set(background, db);
  backgrounds.set(store, background);
  backgrounds.set(background, background);
  return store;
}

/**
 * The store for background work (the outbox drain working through what is due): on SQLite the
 * same connection, its writes queued as background units of the group commit, which give way
 * to the writes of requests (group-commit-async.ts `inGroupOrder`); any other store as it is.
 */
export function inBackground(store: Store): Store {
  return backgrounds.get(store) ?? store;
}

/**
 * The slice the work on `store` runs in now: for `inBackground`'s SQLite store shorter while
 * requests write (group-commit.ts `backgroundSliceMs`); `normalMs` for any other store.
 */
export function backgroundSlice(store: Store, normalMs: number): number {
  const db = backgrounds.get(store) === store ? stores.get(store) : undefined;
  return db ? backgroundSliceMs(db, normalMs) : normalMs;
}
