/**
 * The storage port (store.ts): `openStore({ sqlite: db })` over an open SQLite database (the
 * caller keeps closing it), or `openStore({ postgresUrl })` with a pool of its own.
 */
import type { Db } from '../client.js';
import { openPostgresStore, type PostgresStoreOptions } from './pg.js';
import { sqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export type { Dialect, Handle, Store, StoreDb, Tables } from './store.js';
export { driverError, isRetryable, isUniqueViolation, sqlState } from './errors.js';
export { sqliteOf } from './sqlite.js';
export { postgresWriteInProgress } from './pg.js';
export { UnitAwaitedIoError } from '../unit-rule.js';

export type OpenStoreOptions = { sqlite: Db } | ({ postgresUrl: string } & PostgresStoreOptions);

export function openStore(options: OpenStoreOptions): Store {
  return 'sqlite' in options ? sqliteStore(options.sqlite) : openPostgresStore(options.postgresUrl, options);
}
