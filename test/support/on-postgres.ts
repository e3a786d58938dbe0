/**
 * Running converted commands on PostgreSQL in a test (docs/postgres.md, "Phase 2"): a harness
 * seeds its SQLite file as usual (definitions, queues, people, cases made by the commands that
 * still run on SQLite), then `moveToPostgres` copies that file into a fresh database of the
 * cluster with `npm run db:migrate-to-postgres`'s own copy and points `services.store` at it.
 * From then on every command on the storage port runs on PostgreSQL; a command that still
 * reads or writes `services.db` touches the SQLite file instead, so a test that reads its
 * results back through the store fails — which is what tells a conversion is complete.
 */
import { migrateToPostgres } from '../../src/db/pg/copy/migrate-to-postgres.js';
import type { Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import type { Services } from '../../src/services.js';
import type { PostgresCluster } from './postgres.js';

export interface Moved {
  store: Store;
  url: string;
  /** Closes the PostgreSQL store (the harness still closes its SQLite file). */
  close(): Promise<void>;
}

/**
 * Copies the SQLite file behind `services` into a new database of `cluster`, switches
 * `services.store` to it and sets `services.sqlite` to null, as a server on PostgreSQL has it.
 */
export async function moveToPostgres(services: Services, dbPath: string, cluster: PostgresCluster): Promise<Moved> {
  const url = await cluster.createDatabase();
  await migrateToPostgres({ from: dbPath, to: url });
  const store = openStore({ postgresUrl: url, max: 4 });
  const before = { store: services.store, sqlite: services.sqlite };
  // As on a server started with DATABASE_URL: no SQLite database among the services.
  services.store = store;
  services.sqlite = null;
  return {
    store,
    url,
    async close() {
      services.store = before.store;
      services.sqlite = before.sqlite;
      await store.close();
    },
  };
}
