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
  /** Migrated. */
  template: string;
  /** Migrated, and the repository's definitions seeded at the harness's default start. */
  seeded: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: PostgresTemplate;
  }
}

/** Is this test process the `postgres` project's (harnesses on PostgreSQL)? */
export const ON_POSTGRES = process.env.CASEBOOK_TEST_DATABASE === 'postgres';

let admin: Promise<pg.Client> | null = null;
/** The admin connection's statements, one after the other (a pg client queues them anyway, with a warning). */
let adminTurn: Promise<unknown> = Promise.resolve();
let counter = 0;

function onAdmin(url: string, statement: string): Promise<void> {
  const turn = adminTurn.then(async () => void (await (await adminClient(url)).query(statement)));
  adminTurn = turn.catch(() => undefined);
  return turn;
}

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

/** A copy of the migrated template (or the seeded one) for one harness: the name is known at once, the copy is made in the background. */
export function createTestDatabase(from: 'migrated' | 'seeded' = 'migrated'): TestDatabase {
  const provided = inject('postgresTemplate');
  const { url: adminUrl } = provided;
  const template = from === 'seeded' ? provided.seeded : provided.template;
  const name = `h_${process.pid}_${++counter}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const created = onAdmin(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return {
    url: url.toString(),
    created,
    async drop() {
      await created.catch(() => undefined);
      await onAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    },
  };
}

/**
 * `inner` behind the harness's own steps. Everything the test or the services do waits, before
 * each read, query or write, for every step queued so far: the database's preparation (copy,
 * seed), the definitions' first load, the fixtures. The steps themselves wait only for the
 * preparation: the first load reads through the services' registry, where a reload somebody
 * else starts later (an export) queues behind it — had the load waited for the whole queue,
 * and that reload sat in the queue, each would wait for the other.
 */
export interface GatedStore {
  store: Store;
  /** Prepares the database: the steps and everything else wait for it. */
  prepare(fn: () => Promise<unknown>): void;
  /** Starts `fn` now, as a step (waiting for the preparation only); everything else waits for it too. */
  inside(fn: () => Promise<unknown>): Promise<void>;
  /** Queues `fn` after the steps so far. */
  step(fn: () => Promise<unknown>): void;
  /** Resolves once every step queued so far has run (rejects with the first that failed). */
  settled(): Promise<void>;
}

export function gatedStore(inner: Store): GatedStore {
  const internal = new AsyncLocalStorage<true>();
  let prepared: Promise<void> = Promise.resolve();
  let queue: Promise<void> = Promise.resolve();
  const gate = () => (internal.getStore() ? prepared : queue);
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
  const after = (done: Promise<unknown>) => {
    const before = queue;
    queue = before.then(() => done).then(() => undefined);
  };
  return {
    store,
    prepare(fn) {
      prepared = prepared.then(() => internal.run(true, fn)).then(() => undefined);
      after(prepared);
    },
    inside(fn) {
      const done = internal.run(true, fn).then(() => undefined);
      after(done);
      return done;
    },
    step(fn) {
      queue = queue.then(() => internal.run(true, fn)).then(() => undefined);
    },
    settled: () => queue,
  };
}
