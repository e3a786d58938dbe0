/**
 * The storage port on PostgreSQL: `write` is a transaction on a pooled connection at READ
 * COMMITTED (PostgreSQL groups concurrent commits itself), run again — up to `attempts` times,
 * after a short jittered pause — when PostgreSQL reports a serialization failure or a deadlock
 * (SQLSTATE 40001, 40P01), and once after a unique violation (23505: most often a concurrent
 * insert of the same key, which the second run sees); `read` is a READ ONLY transaction at
 * REPEATABLE READ (one snapshot). Other errors pass through as drizzle throws them (the
 * driver's error, with its SQLSTATE `code`, as `cause`: errors.ts), except that a failed
 * query's message loses the values drizzle writes into it (`withoutQueryValues`): customer
 * data never reaches a log line or a page from here.
 *
 * A write (or read) called inside a write's `fn` joins its transaction — in a savepoint for a
 * write — as on SQLite: the transaction in progress is found through an AsyncLocalStorage,
 * created only when a PostgreSQL store is opened (on SQLite nothing pays for it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { openPostgres, type OpenPostgresOptions, type PgDb } from '../pg/client.js';
import * as schema from '../pg/schema.js';
import { isRetryable, isUniqueViolation, markUnreachable, withoutQueryValues } from './errors.js';
import { openWrite } from './pg-write.js';
import type { Handle, Store, StoreDb } from './store.js';

export interface PostgresStoreOptions extends OpenPostgresOptions {
  /** Runs of a write that keeps failing with 40001/40P01 before its error is thrown (default 5). */
  attempts?: number;
  /** The first pause before a retry, doubled each time, jittered (default 5 ms). */
  retryDelayMs?: number;
}

type Tx = PgDatabase<NodePgQueryResultHKT, typeof schema>;

const NUMBERS = new Set([20, 1700]); // int8 (count(*), bigint columns), numeric (sum of bigints)

/**
 * Raw rows with int8 and numeric values as numbers, as SQLite hands them out (drizzle's
 * node-postgres session parses each query with its own type parsers, not the pool's PG_TYPES).
 */
function numbered(result: { rows: Record<string, unknown>[]; fields?: { name: string; dataTypeID: number }[] }): Record<string, unknown>[] {
  const names = (result.fields ?? []).filter((field) => NUMBERS.has(field.dataTypeID)).map((field) => field.name);
  if (names.length === 0) return result.rows;
  for (const row of result.rows) for (const name of names) if (typeof row[name] === 'string') row[name] = Number(row[name]);
  return result.rows;
}

function pgHandle(tx: Tx, current: AsyncLocalStorage<Handle>): Handle {
  const handle: Handle = {
    dialect: 'postgres',
    db: tx as StoreDb,
    tables: schema,
    all: async <R>(query: SQL) => numbered(await tx.execute(query)) as R[],
    get: async <R>(query: SQL) => numbered(await tx.execute(query))[0] as R | undefined,
    run: async (query: SQL) => ({ changes: (await tx.execute(query)).rowCount ?? 0 }),
    savepoint: <T>(fn: (q: Handle) => Promise<T>) =>
      tx.transaction((inner) => {
        const nested = pgHandle(inner, current);
        return current.run(nested, () => fn(nested));
      }),
  };
  return handle;
}

/** A store on `db` (a pool's drizzle database: openPostgres). */
export function postgresStore(db: PgDb, options: PostgresStoreOptions & { close?: () => Promise<void> } = {}): Store {
  const attempts = Math.max(1, options.attempts ?? 5);
  const retryDelayMs = options.retryDelayMs ?? 5;
  const current = new AsyncLocalStorage<Handle>();
  /** What runs after the outermost write in progress commits (afterCommit). */
  const committed = new AsyncLocalStorage<(() => void)[]>();
  const pooled = pgHandle(db as Tx, current);

  function inTransaction<T>(fn: (q: Handle) => Promise<T>, config: Parameters<PgDb['transaction']>[1]): Promise<T> {
    return db.transaction((tx) => {
      const handle = pgHandle(tx, current);
      return current.run(handle, () => fn(handle));
    }, config);
  }

  /** What leaves the store: a failed query's values out of its message, a database out of reach marked (errors.ts). */
  const valuesOut = (error: unknown): never => {
    throw markUnreachable(withoutQueryValues(error));
  };

  function read<T>(fn: (q: Handle) => Promise<T>): Promise<T> {
    const outer = current.getStore();
    if (outer) return fn(outer);
    // REPEATABLE READ: one snapshot for the whole read, as the port promises (at READ
    // COMMITTED each statement would see what committed since the one before). Read only,
    // it never fails with a serialization error.
    return inTransaction(fn, { isolationLevel: 'repeatable read', accessMode: 'read only' }).catch(valuesOut);
  }

  return {
    dialect: 'postgres',
    read,
    // Its statements wait for the network: other work goes on meanwhile.
    report: read,
    query(fn) {
      // Each statement on a pooled connection by itself; its savepoint() opens a transaction.
      return fn(current.getStore() ?? pooled).catch(valuesOut);
    },
    async write(fn) {
      const outer = current.getStore();
      if (outer) return outer.savepoint(fn);
      for (let attempt = 1; ; attempt++) {
        const after: (() => void)[] = []; // a retried run registers its own again
        const token = {}; // and sees only its own rows
        try {
          const result = await committed.run(after, () => openWrite.run(token, () => inTransaction(fn, { isolationLevel: 'read committed' })));
          for (const run of after) {
            try {
              run();
            } catch {
              // committed all the same: a signal's listener failing is not the write's failure
            }
          }
          return result;
        } catch (error) {
          // A unique violation gets one more run: at READ COMMITTED it is most often another
          // transaction that inserted the same key and committed while this one ran (a form sent
          // twice at once); run again, `fn` sees that row and answers as it does on SQLite, where
          // writes take turns (EMAIL_TAKEN, "already used"…). A second one is `fn`'s own.
          const again = isRetryable(error) || (attempt === 1 && isUniqueViolation(error));
          if (attempt >= attempts || !again) throw markUnreachable(withoutQueryValues(error));
          // Jitter: writers that collided do not collide again in step.
          await sleep(retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
        }
      }
    },
    afterCommit(fn) {
      const after = current.getStore() ? committed.getStore() : undefined;
      if (after) after.push(fn);
      else setImmediate(fn);
    },
    async close() {
      await options.close?.();
      // Node 20's AsyncLocalStorage is an async hook: once an instance has run, every promise
      // created anywhere in the process calls into it until it is disabled. A closed store's
      // contexts are over; a process that opens many stores (the test suite) would otherwise
      // pay for each one ever opened on every promise.
      current.disable();
      committed.disable();
    },
  };
}

/** Opens a pool on `url` and a store on it; `close()` ends the pool. */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const postgres = openPostgres(url, options);
  return postgresStore(postgres.db, { ...options, close: postgres.close });
}
