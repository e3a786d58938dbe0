/**
 * Test harness: a real SQLite file with the real migrations, definitions seeded from the
 * repository's `workflows/` and `rules/` through the production loader, a manual clock,
 * and helpers to add queues, staff and customers. No mocks of things we own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { newTokenRow } from '../../src/auth/api-tokens.js';
import { ManualClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { openPostgresStore } from '../../src/db/store/pg.js';
import { all as allRows, get as getRow, run as runStatement } from '../../src/db/store/rows.js';
import type { Dialect, Handle } from '../../src/db/store/index.js';
import { apiTokens, customers, queues, staff, staffQueues, type StaffRole } from '../../src/db/schema/index.js';
import { loadDefinitionFiles, type DefinitionFiles } from '../../src/definitions/files.js';
import { createApp } from '../../src/http/app.js';
import type { Actor } from '../../src/roles.js';
import { seedDefinitionsIn, seedDefinitionsSync } from '../../src/seed/seed-definitions.js';
import { createServices } from '../../src/compose.js';
import { type ServiceOptions, type Services } from '../../src/services.js';
import { builtinActions } from '../../src/compose.js';
import { createTestDatabase, gatedStore, ON_POSTGRES } from './harness-postgres.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const ADMIN: Actor = { type: 'system', id: null, role: 'admin', name: 'admin token' };

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The JSON body of an answer that must have `status` (a setup step: anything else throws with the body). */
export async function ok(res: Response, status = 200): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A fresh temp folder, in the run's folder (./build-global.ts) when there is one, removed when the process exits. */
export function tempDir(prefix = 'casebook-test-'): string {
  const dir = fs.mkdtempSync(path.join(process.env.CASEBOOK_TEST_TMP ?? os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function loadRepoDefinitions(dirs: { workflowsDir?: string; rulesDir?: string } = {}): DefinitionFiles {
  return loadDefinitionFiles({
    workflowsDir: dirs.workflowsDir ?? path.join(ROOT, 'workflows'),
    rulesDir: dirs.rulesDir ?? path.join(ROOT, 'rules'),
    actions: builtinActions(),
  });
}

export type TestActor = Actor & { id: number };

/** The harness clock's default start: Monday 2026-03-02 09:00Z (10:00 in Berlin, inside office hours). */
export const HARNESS_START = '2026-03-02T09:00:00Z';

export interface AgentOptions {
  name?: string;
  email?: string;
  role?: StaffRole;
  queues?: string[];
  skills?: string[];
  capacity?: number;
  available?: boolean;
}

export interface Harness {
  /**
   * The harness's SQLite database, synchronously (SQLite only: on PostgreSQL reading it throws;
   * a test for both databases reads through `query`, `all`, `get` and `run`).
   */
  db: Db;
  /** Which database the services run on (the vitest project: CASEBOOK_TEST_DATABASE). */
  dialect: Dialect;
  clock: ManualClock;
  services: Services;
  /** The SQLite file (SQLite only). */
  dbPath: string;
  /** The PostgreSQL database's URL (PostgreSQL only; null on SQLite): for a connection of a test's own (another session, a lock). */
  databaseUrl: string | null;
  app: ReturnType<typeof createApp>;
  /** Adds (or re-activates) a queue. */
  queue(id: string, tier?: number): string;
  /** Adds a staff member; returns their actor. */
  agent(options?: AgentOptions): TestActor;
  customer(options: { email: string; name?: string; tier?: string; organization?: string }): TestActor;
  /**
   * An API token for a staff member or customer; the ADMIN_TOKEN for the system actor (its row
   * from newTokenRow, the token format's one place). Synchronous, like every fixture here: on
   * PostgreSQL the row is written before the next statement of the services.
   */
  tokenFor(actor: { type: 'staff' | 'customer' | 'system'; id: number | null }): string;
  /** Calls the API with an optional bearer token and JSON body. */
  api(method: string, url: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** `fn` on the services' store, each statement by itself (for assertions on either database). */
  query<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /** Raw SQL valid on both databases, with `?` placeholders: its rows (PostgreSQL hands out booleans and jsonb as such; SQLite 1/0 and text). */
  all<R = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  get<R = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<R | undefined>;
  /** A statement without rows: how many rows it changed. */
  run(text: string, ...params: unknown[]): Promise<number>;
  /**
   * Resolves once the database is ready, the definitions loaded and the fixtures so far written
   * (PostgreSQL: they are before any statement of the services anyway; `h.api` waits for it; a
   * test calling a command that looks up definitions before any statement awaits it first).
   */
  settled(): Promise<void>;
  close(): void;
}

export interface HarnessOptions {
  /** Clock start; default Monday 2026-03-02 09:00Z (10:00 in Berlin, inside office hours). */
  start?: string | number;
  files?: DefinitionFiles;
  services?: ServiceOptions;
  busyTimeoutMs?: number;
}

/** What the harness writes for a fixture, on the database it runs on. */
interface Backend {
  dialect: Dialect;
  services: Services;
  db: Db;
  dbPath: string;
  databaseUrl: string | null;
  /** Runs `fn` on the services' database: at once on SQLite (its result returned), queued before the next statement on PostgreSQL. */
  fixture(fn: (q: Handle) => Promise<unknown>): void;
  settled(): Promise<void>;
  close(): void;
}

/**
 * This process's SQLite databases a harness starts from, made by its first harness: one with
 * the migrations applied, and a copy of it with the repository's definitions seeded at the
 * harness's default start (what most harnesses seed), as the `postgres` project's templates
 * (postgres-global.ts). A harness's database is a copy of one: migrating a new file was ~28 ms
 * of CPU a harness (the migrator reads and hashes every migration, then runs them), copying
 * one well under 1 ms. Each is closed and checkpointed (no WAL) before it is copied.
 */
let sqliteTemplates: { migrated: string; seeded: string } | null = null;

function sqliteTemplate(seeded: boolean): string {
  if (!sqliteTemplates) {
    const dir = tempDir('casebook-template-');
    const migrated = path.join(dir, 'migrated.db');
    closeCheckpointed(openDatabase(migrated));
    const seededPath = path.join(dir, 'seeded.db');
    fs.copyFileSync(migrated, seededPath);
    const db = openDatabase(seededPath, { migrate: false });
    const services = createServices(db, new ManualClock(HARNESS_START));
    seedDefinitionsSync(services, loadRepoDefinitions());
    services.outbox.stop();
    closeCheckpointed(db);
    sqliteTemplates = { migrated, seeded: seededPath };
  }
  return seeded ? sqliteTemplates.seeded : sqliteTemplates.migrated;
}

function closeCheckpointed(db: Db): void {
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
}

/** `files` null: the repository's definitions at the default start (the seeded template). */
function sqliteBackend(dir: string, clock: ManualClock, files: DefinitionFiles | null, options: HarnessOptions): Backend {
  const dbPath = path.join(dir, 'casebook.db');
  fs.copyFileSync(sqliteTemplate(files === null), dbPath);
  const db = openDatabase(dbPath, { busyTimeoutMs: options.busyTimeoutMs ?? 5000, migrate: false });
  const services = createServices(db, clock, options.services);
  if (files !== null) seedDefinitionsSync(services, files);
  return {
    dialect: 'sqlite',
    services,
    db,
    dbPath,
    databaseUrl: null,
    fixture() {
      throw new TypeError('SQLite fixtures run synchronously on the harness database');
    },
    settled: () => Promise.resolve(),
    close() {
      services.outbox.stop();
      db.$client.close();
    },
  };
}

function postgresBackend(dir: string, clock: ManualClock, files: DefinitionFiles | null, options: HarnessOptions): Backend {
  // The repository's definitions at the default start are in the template already (postgres-global.ts).
  const database = createTestDatabase(files === null ? 'seeded' : 'migrated');
  const inner = openPostgresStore(database.url, { max: 4 });
  const gated = gatedStore(inner);
  // Attachments in the harness's folder, as on SQLite (beside the database file), not in a
  // folder of the OS's temp dir that nothing removes.
  const services = createServices(gated.store, clock, { ...options.services, attachments: { dir: path.join(dir, 'files'), ...options.services?.attachments } });
  gated.prepare(async () => {
    await database.created;
    if (files !== null) await inner.write((q) => seedDefinitionsIn(q, files, clock.now()));
  });
  gated.inside(() => services.definitions.refresh()).catch(() => undefined); // fails settled() and the next statement
  /** The fixtures queued and not yet begun: the next one joins them. */
  let batch: ((q: Handle) => Promise<unknown>)[] | null = null;
  const noSqlite = () => {
    throw new TypeError('h.db and h.dbPath are the SQLite harness\'s: on PostgreSQL read through h.query, h.all, h.get, h.run or h.services.store');
  };
  return {
    dialect: 'postgres',
    services,
    get db(): Db {
      return noSqlite();
    },
    get dbPath(): string {
      return noSqlite();
    },
    databaseUrl: database.url,
    fixture(fn) {
      // The fixtures a test adds one after the other (standardQueues, agents, tokens) go in one
      // transaction, not one each: a transaction is two more round trips, and on a busy
      // machine each waits its turn for a core.
      if (batch) {
        batch.push(fn);
        return;
      }
      const fns = [fn];
      batch = fns;
      gated.step(() => {
        batch = null;
        return inner.write(async (q) => {
          for (const each of fns) await each(q);
        });
      });
    },
    settled: () => gated.settled(),
    close() {
      services.outbox.stop();
      void gated.store
        .close()
        .then(() => database.release())
        .catch(() => undefined);
    },
  };
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const dir = tempDir();
  const clock = new ManualClock(options.start ?? HARNESS_START);
  // null: the repository's definitions at the default start, which the templates hold already.
  const files = options.files ?? (options.start === undefined ? null : loadRepoDefinitions());
  const backend = ON_POSTGRES ? postgresBackend(dir, clock, files, options) : sqliteBackend(dir, clock, files, options);
  const { services } = backend;
  // The console's export/import works on copies: no test rewrites the repository's own definitions.
  const definitionFolders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
  fs.cpSync(path.join(ROOT, 'rules'), definitionFolders.rulesDir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'workflows'), definitionFolders.workflowsDir, { recursive: true });
  const app = createApp(services, { adminToken: ADMIN_TOKEN, definitionFolders });
  let counter = 0;
  // PostgreSQL: the fixtures' own ids (postgres-global.ts starts the sequences past them).
  let staffId = 0;
  let customerId = 0;
  const query = <T>(fn: (q: Handle) => Promise<T>) => services.store.query(fn);

  return {
    get db() {
      return backend.db;
    },
    dialect: backend.dialect,
    clock,
    services,
    get dbPath() {
      return backend.dbPath;
    },
    databaseUrl: backend.databaseUrl,
    app,
    queue(id, tier = 1) {
      if (backend.dialect === 'postgres') {
        backend.fixture((q) =>
          q.db
            .insert(q.tables.queues)
            .values({ id, name: id, tier, createdAt: clock.now() })
            .onConflictDoUpdate({ target: q.tables.queues.id, set: { tier, active: true } }),
        );
        return id;
      }
      const { db } = backend;
      const existing = db.select().from(queues).where(eq(queues.id, id)).get();
      if (existing) db.update(queues).set({ tier, active: true }).where(eq(queues.id, id)).run();
      else db.insert(queues).values({ id, name: id, tier, createdAt: clock.now() }).run();
      return id;
    },
    agent(o = {}) {
      counter++;
      const now = clock.now();
      const values = {
        name: o.name ?? `Agent ${counter}`,
        email: o.email ?? `agent${counter}@casebook.test`,
        role: o.role ?? 'agent',
        skills: o.skills ?? [],
        capacity: o.capacity ?? 10,
        available: o.available ?? true,
        createdAt: now,
        updatedAt: now,
      } satisfies Partial<typeof staff.$inferInsert>;
      if (backend.dialect === 'postgres') {
        const id = ++staffId;
        backend.fixture(async (q) => {
          await q.db.insert(q.tables.staff).values({ id, ...values });
          for (const queueId of o.queues ?? []) await q.db.insert(q.tables.staffQueues).values({ staffId: id, queueId });
        });
        return { type: 'staff', id, role: values.role, name: values.name };
      }
      const { db } = backend;
      const row = db.insert(staff).values(values).returning().get();
      for (const q of o.queues ?? []) db.insert(staffQueues).values({ staffId: row.id, queueId: q }).run();
      return { type: 'staff', id: row.id, role: row.role, name: row.name };
    },
    customer(o) {
      const now = clock.now();
      const values = { email: o.email, name: o.name ?? o.email, tier: o.tier ?? 'standard', organization: o.organization ?? null, createdAt: now, updatedAt: now };
      if (backend.dialect === 'postgres') {
        const id = ++customerId;
        backend.fixture((q) => q.db.insert(q.tables.customers).values({ id, ...values }));
        return { type: 'customer', id, role: 'customer', name: values.name };
      }
      const row = backend.db.insert(customers).values(values).returning().get();
      return { type: 'customer', id: row.id, role: 'customer', name: row.name };
    },
    tokenFor(actor) {
      if (actor.type === 'system') return ADMIN_TOKEN;
      const { token, row } = newTokenRow({ type: actor.type, id: actor.id! }, 'test', clock.now());
      if (backend.dialect === 'postgres') backend.fixture((q) => q.db.insert(q.tables.apiTokens).values(row));
      else backend.db.insert(apiTokens).values(row).run();
      return token;
    },
    async api(method, url, o = {}) {
      // On PostgreSQL the definitions load in the background: a route reading none first would miss them.
      if (backend.dialect === 'postgres') await backend.settled();
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['Content-Type'] ??= 'application/json';
      }
      return app.request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    },
    query,
    all: (text, ...params) => query((q) => allRows(q, text, params)),
    get: (text, ...params) => query((q) => getRow(q, text, params)),
    run: (text, ...params) => query((q) => runStatement(q, text, params)),
    settled: () => backend.settled(),
    close: () => backend.close(),
  };
}

/** The demo's queue layout (general, billing, technical, advanced tier 2), without people. */
export function standardQueues(h: Harness): void {
  h.queue('general');
  h.queue('billing');
  h.queue('technical');
  h.queue('advanced', 2);
}
