/**
 * `services.db` on PostgreSQL (src/services.ts): SQLite's synchronous handle does not exist
 * there, so the field is a guard that throws SqliteOnlyError on any use — code not yet on the
 * storage port fails loudly (a 500, logged with its stack naming what it touched) instead of
 * reading or writing a SQLite file beside the PostgreSQL database. On SQLite `services.db` is
 * the database itself and `services.sqlite` the same object.
 */
import type { Db } from '../client.js';
import { sqliteOfStore } from './sqlite.js';
import type { Store } from './store.js';

/** What code still on `services.db` throws on PostgreSQL (a plain error: a request answers 500 INTERNAL and the stack is logged). */
export class SqliteOnlyError extends Error {
  readonly code = 'SQLITE_ONLY';
  constructor(readonly used: string) {
    super(`services.db.${used} was used on PostgreSQL: this code is not on the storage port yet (services.db is SQLite's only)`);
    this.name = 'SqliteOnlyError';
  }
}

/** A stand-in typed as `Db` that throws SqliteOnlyError on every property read, call or write. */
export function sqliteOnlyGuard(): Db {
  const refuse = (used: string | symbol): never => {
    throw new SqliteOnlyError(String(used));
  };
  return new Proxy(Object.create(null) as object, {
    get: (_target, property) => {
      // Promise resolution and inspection look for `then` / symbols: a guard is no thenable and prints as itself.
      if (property === 'then' || typeof property === 'symbol') return undefined;
      return refuse(property);
    },
    set: (_target, property) => refuse(property),
    has: (_target, property) => refuse(property),
  }) as Db;
}

/** The SQLite database behind a SQLite store (the store must be one: `openStore({ sqlite })`). */
export function sqliteBehind(store: Store): Db {
  const db = sqliteOfStore(store);
  if (!db) throw new TypeError('a SQLite store without its database');
  return db;
}
