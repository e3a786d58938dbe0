/**
 * `openStore({ sqlite: db })` over an open SQLite database (the caller keeps closing it), or
 * `openStore({ postgresUrl })` with a pool of its own. Apart from ./index.ts, which the code of
 * both dialects imports: this one loads node-postgres, and a server on SQLite never does
 * (it opens its store with `sqliteStore`; src/db/server-database.ts loads PostgreSQL's start-up
 * only for a DATABASE_URL).
 */
import type { Db } from '../client.js';
import { openPostgresStore, type PostgresStoreOptions } from './pg.js';
import { sqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export type OpenStoreOptions = { sqlite: Db } | ({ postgresUrl: string } & PostgresStoreOptions);

export function openStore(options: OpenStoreOptions): Store {
  return 'sqlite' in options ? sqliteStore(options.sqlite) : openPostgresStore(options.postgresUrl, options);
}
