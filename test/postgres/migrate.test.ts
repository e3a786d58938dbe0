/**
 * migratePostgres (src/db/pg/migrate.ts): drizzle's node-postgres migrator under an advisory
 * lock, so instances starting together on one database migrate it once. One cluster for the
 * file, a fresh database per test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS_DIR } from '../../src/db/pg/client.js';
import { MIGRATION_LOCK_KEY, migratePostgres } from '../../src/db/pg/migrate.js';
import { EXPECTED_CUSTOMER_UPDATED_AT, historyStatements } from '../support/customer-updated-at-history.js';
import { EXPECTED_PREVIOUS_STATUS, previousStatusStatements } from '../support/previous-status-history.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

/** The schema's tables and search_documents (drizzle/pg/0001_search.sql). */
const TABLES = 51;

let cluster: PostgresCluster;
const journal = JSON.parse(fs.readFileSync(path.join(PG_MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };

beforeAll(async () => {
  cluster = await startPostgres();
});

afterAll(async () => {
  await cluster?.stop();
});

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const recorded = (url: string) =>
  withClient(url, async (c) => (await c.query<{ hash: string; created_at: string }>('SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id')).rows);
const tableCount = (url: string) =>
  withClient(url, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]!.n);
const advisoryLocks = (url: string) =>
  withClient(url, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows[0]!.n);

describe('migratePostgres', () => {
  it('three calls at once on a fresh database all succeed, and each migration is recorded once', async () => {
    const url = await cluster.createDatabase();
    await Promise.all([migratePostgres(url), migratePostgres(url), migratePostgres(url)]);
    const rows = await recorded(url);
    expect(rows.map((r) => Number(r.created_at))).toEqual(journal.entries.map((e) => e.when));
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    expect(await tableCount(url)).toBe(TABLES);
    expect(await advisoryLocks(url)).toBe(0);

    // A second run is a no-op: nothing recorded, nothing recreated.
    await withClient(url, (c) => c.query(`INSERT INTO queues (id, name, created_at) VALUES ('kept', 'Kept', 1)`));
    await migratePostgres(url);
    expect(await recorded(url)).toEqual(rows);
    expect(await withClient(url, async (c) => (await c.query('SELECT id FROM queues')).rows)).toEqual([{ id: 'kept' }]);
  });

  it('waits for the lock another instance holds, then finds the work done', async () => {
    const url = await cluster.createDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      let done = false;
      const migrating = migratePostgres(url).then(() => (done = true));
      // The migrator's session shows up waiting for that lock (polled: on a loaded machine its connection takes a while).
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const waiting = await holder.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()`);
        if (waiting.rowCount) break;
        await new Promise((r) => setImmediate(r));
      }
      expect((await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n).toBe(1);
      expect(done).toBe(false);
      expect((await holder.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0].n).toBe(0);
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await migrating;
      expect(await tableCount(url)).toBe(TABLES);
    } finally {
      await holder.end();
    }
  });

  it('takes a pool of the caller, and gives its connection back', async () => {
    const url = await cluster.createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      await migratePostgres(pool);
      expect(pool.totalCount - pool.idleCount).toBe(0);
      expect((await pool.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')).rows[0].n).toBe(journal.entries.length);
    } finally {
      await pool.end();
    }
  });

  it('fills in the last change each customer saw from the timeline when customer_updated_at comes (0004), as on SQLite', async () => {
    const url = await cluster.createDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-migrations-'));
    try {
      fs.cpSync(PG_MIGRATIONS_DIR, folder, { recursive: true });
      const index = journal.entries.findIndex((e) => e.tag.endsWith('_customer_updated_at'));
      expect(index).toBeGreaterThan(0);
      for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(folder, `${entry.tag}.sql`));
      fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
      await migratePostgres(url, { migrationsFolder: folder });
      await withClient(url, async (c) => {
        for (const statement of historyStatements()) await c.query(statement);
      });

      await migratePostgres(url);
      const rows = await withClient(url, async (c) => (await c.query<{ id: string; at: string | null }>('SELECT id, customer_updated_at AS at FROM cases ORDER BY id')).rows);
      expect(Object.fromEntries(rows.map((r) => [Number(r.id), r.at === null ? null : Number(r.at)]))).toEqual(EXPECTED_CUSTOMER_UPDATED_AT);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('repairs cases whose previous_status was their own state from their timeline (0005), as on SQLite', async () => {
    const url = await cluster.createDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-migrations-'));
    try {
      fs.cpSync(PG_MIGRATIONS_DIR, folder, { recursive: true });
      const index = journal.entries.findIndex((e) => e.tag.endsWith('_previous_status_repair'));
      expect(index).toBeGreaterThan(0);
      for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(folder, `${entry.tag}.sql`));
      fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
      await migratePostgres(url, { migrationsFolder: folder });
      await withClient(url, async (c) => {
        for (const statement of previousStatusStatements()) await c.query(statement);
      });

      await migratePostgres(url);
      const rows = await withClient(url, async (c) => (await c.query<{ id: string; previous: string | null }>('SELECT id, previous_status AS previous FROM cases ORDER BY id')).rows);
      expect(Object.fromEntries(rows.map((r) => [Number(r.id), r.previous]))).toEqual(EXPECTED_PREVIOUS_STATUS);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a failing migration rolls back what the run applied and still releases the lock', async () => {
    const url = await cluster.createDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-migrations-'));
    try {
      fs.cpSync(PG_MIGRATIONS_DIR, folder, { recursive: true });
      const broken = JSON.parse(JSON.stringify(journal)) as { entries: Record<string, unknown>[] };
      const last = journal.entries.at(-1)!;
      broken.entries.push({ idx: journal.entries.length, version: '7', when: last.when + 1, tag: '9999_broken', breakpoints: true });
      fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify(broken));
      fs.writeFileSync(path.join(folder, '9999_broken.sql'), 'CREATE TABLE half_done (x int);\n--> statement-breakpoint\nSELECT 1 / 0;');
      await expect(migratePostgres(url, { migrationsFolder: folder })).rejects.toMatchObject({ cause: { message: 'division by zero' } });
      expect(await advisoryLocks(url)).toBe(0);
      // One transaction for the run: nothing of it stays.
      expect(await tableCount(url)).toBe(0);
      await migratePostgres(url);
      expect(await tableCount(url)).toBe(TABLES);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('indexes again the documents with CJK characters when their pairs come (0009), as on SQLite', async () => {
    const url = await cluster.createDatabase();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-migrations-'));
    try {
      fs.cpSync(PG_MIGRATIONS_DIR, folder, { recursive: true });
      const index = journal.entries.findIndex((e) => e.tag.endsWith('_search_cjk'));
      expect(index).toBeGreaterThan(0);
      for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(folder, `${entry.tag}.sql`));
      fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
      await migratePostgres(url, { migrationsFolder: folder });
      await withClient(url, async (c) => {
        for (const statement of [
          `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', 1)`,
          `INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (1, 'wang@example.cn', '王小明', 1, 1)`,
          `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
           VALUES (7, 1, '我想申请退款', 'Refund please', 'open', 1, 'general', 'default', 1, 1, 1)`,
          `INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES
             (7, 'case.created', 1, 'system', '{}'), (7, 'customer.replied', 2, 'customer', '{"body":"返金をお願いします"}'),
             (7, 'staff.noted', 3, 'staff', '{"body":"plain note"}')`,
        ])
          await c.query(statement);
      });
      const found = (word: string) =>
        withClient(url, async (c) => (await c.query<{ doc: string }>(`SELECT doc FROM search_documents WHERE words @@ phraseto_tsquery('casebook', casebook_search_text($1)) ORDER BY doc`, [word])).rows.map((r) => Number(r.doc)));
      expect(await found('退款')).toEqual([]);

      await migratePostgres(url);
      expect(await found('退款')).toEqual([7 << 20]);
      expect(await found('返金')).toEqual([(7 << 20) + (2 << 1)]);
      expect(await found('小明')).toEqual([-1]);
      expect(await found('note')).toEqual([(7 << 20) + (3 << 1) + 1]);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
