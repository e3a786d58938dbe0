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
  /** Ready once the database exists (a new copy) or at once (one given back before). */
  created: Promise<void>;
  /**
   * Gives it back: its connections ended (whatever is still connected is terminated), its rows
   * put back to the template's, and kept for this process's next `createTestDatabase` of the
   * same template. Dropped instead if that fails.
   */
  release(): Promise<void>;
}

type Template = 'migrated' | 'seeded';

/** A database of this process, made from a template, with its own connection for resetting it. */
interface Pooled {
  name: string;
  url: string;
  from: Template;
  resetter: pg.Client | null;
}

/** Databases given back and reset, by template: the next harness takes one instead of a copy. */
const idle: Record<Template, Pooled[]> = { migrated: [], seeded: [] };

/**
 * A database for one harness: one this process gave back (reset), or a new copy of the
 * migrated template (or the seeded one). A copy cost 40 ms on an idle cluster and ~0.5 s in a
 * full run — CREATE and DROP DATABASE each checkpoint the whole cluster — and every new
 * database's connections start with cold catalog caches; a reset costs a few milliseconds.
 */
export function createTestDatabase(from: Template = 'migrated'): TestDatabase {
  const reused = idle[from].pop();
  if (reused) return { url: reused.url, created: Promise.resolve(), release: once(() => release(reused)) };
  const provided = inject('postgresTemplate');
  const { url: adminUrl } = provided;
  const template = from === 'seeded' ? provided.seeded : provided.template;
  const name = `h_${process.pid}_${++counter}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pooled: Pooled = { name, url: url.toString(), from, resetter: null };
  const created = onAdmin(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return {
    url: pooled.url,
    created,
    release: once(async () => {
      if (await created.then(() => true, () => false)) await release(pooled);
    }),
  };
}

/** A harness closed twice gives its database back once: the second would reset it under the next harness. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

async function release(db: Pooled): Promise<void> {
  try {
    if (!db.resetter) {
      const client = new pg.Client({ connectionString: db.url });
      client.on('error', () => undefined); // the cluster stops at the end of the run, under us
      await client.connect();
      db.resetter = client;
    }
    // A server process a test started, a client it left open: their locks would hold the reset up.
    await db.resetter.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await db.resetter.query('SELECT harness.reset()');
    idle[db.from].push(db);
  } catch {
    await db.resetter?.end().catch(() => undefined);
    db.resetter = null;
    await onAdmin(inject('postgresTemplate').url, `DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`).catch(() => undefined);
  }
}

/**
 * Installed in a template (postgres-global.ts): `harness.snapshot()` keeps a copy of every
 * table that holds rows and every sequence's position, in the schema `harness`;
 * `harness.reset()` empties every table of `public` and puts the copies and positions back.
 * The reset runs as `session_replication_role = replica` (the cluster's superuser): no trigger
 * fires, the append-only timeline's included, and no foreign key is checked, so the order of
 * the deletes does not matter.
 */
export const RESET_FUNCTIONS = `
CREATE SCHEMA IF NOT EXISTS harness;
CREATE TABLE IF NOT EXISTS harness.tables (name text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS harness.sequences (name text PRIMARY KEY, last_value bigint NOT NULL, is_called boolean NOT NULL);

-- A test that changed the schema (a trigger to make writes fail, a function) leaves a database
-- no reset can put back: the event trigger marks it, and reset() refuses it (it is dropped).
CREATE TABLE IF NOT EXISTS harness.changed (at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION harness.mark_changed() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO harness.changed DEFAULT VALUES;
END $$;

CREATE OR REPLACE FUNCTION harness.snapshot() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
  held boolean;
  position record;
BEGIN
  FOR t IN SELECT name FROM harness.tables LOOP
    EXECUTE format('DROP TABLE harness.%I', 'rows_' || t.name);
  END LOOP;
  DELETE FROM harness.tables;
  DELETE FROM harness.sequences;
  FOR t IN SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', t.relname) INTO held;
    IF held THEN
      EXECUTE format('CREATE TABLE harness.%I AS SELECT * FROM public.%I', 'rows_' || t.relname, t.relname);
      INSERT INTO harness.tables VALUES (t.relname);
    END IF;
  END LOOP;
  FOR t IN SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'S' LOOP
    EXECUTE format('SELECT last_value, is_called FROM public.%I', t.relname) INTO position;
    INSERT INTO harness.sequences VALUES (t.relname, position.last_value, position.is_called);
  END LOOP;
  DELETE FROM harness.changed;
END $$;

CREATE OR REPLACE FUNCTION harness.reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
  columns text;
BEGIN
  IF EXISTS (SELECT 1 FROM harness.changed) THEN
    RAISE EXCEPTION 'the schema of % was changed: not reusable', current_database();
  END IF;
  PERFORM set_config('session_replication_role', 'replica', true);
  FOR t IN SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' LOOP
    EXECUTE format('DELETE FROM public.%I', t.relname);
  END LOOP;
  FOR t IN SELECT name FROM harness.tables LOOP
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns FROM pg_attribute
      WHERE attrelid = format('public.%I', t.name)::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO public.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM harness.%I', t.name, columns, columns, 'rows_' || t.name);
  END LOOP;
  FOR t IN SELECT * FROM harness.sequences LOOP
    PERFORM setval(format('public.%I', t.name)::regclass, t.last_value, t.is_called);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS harness_schema_changed;
CREATE EVENT TRIGGER harness_schema_changed ON ddl_command_end EXECUTE FUNCTION harness.mark_changed();
`;

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
    report: async (fn) => {
      await gate();
      return inner.report(fn);
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
      internal.disable(); // every promise of the process would call into it (src/db/store/pg.ts)
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
