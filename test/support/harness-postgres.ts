/**
 * The harness on PostgreSQL (vitest.config.ts's `postgres` project, CASEBOOK_TEST_DATABASE=
 * postgres): each harness gets its own database, a copy of the run's migrated template
 * (./postgres-global.ts), dropped when the harness closes.
 *
 * The harness stays synchronous on both databases: creating it and its fixtures (`h.agent()`,
 * `h.queue()`, `h.customer()`, `h.tokenFor()`) return at once, as on SQLite. On PostgreSQL what
 * they must write is queued, and the store the services get (`gatedStore`) waits for the queue
 * before each read, query or write: whatever a test does next through the services or the app
 * sees the database created, seeded and holding its fixtures. A fixture that fails fails that
 * next statement, with its own error.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { inject } from 'vitest';
import type { Store } from '../../src/db/store/index.js';

/** What the project's global setup provides: the cluster's admin URL and the migrated template's name. */
export interface PostgresTemplate {
  url: string;
  template: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: PostgresTemplate;
  }
}

/** Is this test process the `postgres` project's (harnesses on PostgreSQL)? */
export const ON_POSTGRES = process.env.CASEBOOK_TEST_DATABASE === 'postgres';

let admin: Promise<pg.Client> | null = null;
let counter = 0;

function adminClient(url: string): Promise<pg.Client> {
  admin ??= (async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined); // the cluster stops at the end of the run, under us
    await client.connect();
    return client;
  })();
  return admin;
}

export interface TestDatabase {
  url: string;
  /** Ready once the copy exists. */
  created: Promise<void>;
  /** Drops it (its connections ended first, FORCE ends any left). */
  drop(): Promise<void>;
}

/** A copy of the migrated template for one harness (the name is known at once; the copy is made in the background). */
export function createTestDatabase(): TestDatabase {
  const { url: adminUrl, template } = inject('postgresTemplate');
  const name = `h_${process.pid}_${++counter}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const created = adminClient(adminUrl).then(async (client) => {
    await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  });
  return {
    url: url.toString(),
    created,
    async drop() {
      await created.catch(() => undefined);
      const client = await adminClient(adminUrl);
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    },
  };
}

/**
 * `inner` behind a queue of the harness's own steps (creating, seeding, fixtures): read, query
 * and write wait until every step queued before them has run. The steps themselves run inside
 * `step`, which passes the gate (a step writing through the services does not wait for itself).
 */
export interface GatedStore {
  store: Store;
  /** Queues `fn` after the steps queued so far. */
  step(fn: () => Promise<unknown>): void;
  /** Resolves once every step queued so far has run (rejects with the first that failed). */
  settled(): Promise<void>;
}

export function gatedStore(inner: Store): GatedStore {
  const internal = new AsyncLocalStorage<true>();
  let queue: Promise<void> = Promise.resolve();
  const gate = () => (internal.getStore() ? Promise.resolve() : queue);
  const store: Store = {
    get dialect() {
      return inner.dialect;
    },
    read: async (fn) => {
      await gate();
      return inner.read(fn);
    },
    query: async (fn) => {
      await gate();
      return inner.query(fn);
    },
    write: async (fn) => {
      await gate();
      return inner.write(fn);
    },
    afterCommit: (fn) => inner.afterCommit(fn),
    close: async () => {
      await queue.catch(() => undefined);
      await inner.close();
    },
  };
  return {
    store,
    step(fn) {
      queue = queue.then(() => internal.run(true, fn)).then(() => undefined);
    },
    settled: () => queue,
  };
}
