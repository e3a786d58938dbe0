/**
 * `services.sqlite` (src/services.ts): the SQLite database behind a SQLite store, for the
 * machinery that exists only on SQLite (its file, WAL checkpoints, integrity check, backup).
 * On PostgreSQL there is none: `services.sqlite` is null, and every command and read goes
 * through `services.store`.
 */
import type { Db } from '../client.js';
import { sqliteOfStore } from './sqlite.js';
import type { Store } from './store.js';

/** The SQLite database behind a SQLite store (the store must be one: `openStore({ sqlite })`). */
export function sqliteBehind(store: Store): Db {
  const db = sqliteOfStore(store);
  if (!db) throw new TypeError('a SQLite store without its database');
  return db;
}
