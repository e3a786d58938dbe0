/**
 * The PostgreSQL schema (drizzle/pg, generated from src/db/schema) against a migrated SQLite
 * store: the same tables, columns, keys, indexes and foreign keys (but the FTS5 tables, which
 * PostgreSQL's search_documents replaces: test/postgres/search-*.test.ts); every trigger SQLite's
 * migrations create (but the search ones, ported there) behaving the same, run side by side with the same
 * SQL; case ids from 1001; rows reading back as the same JavaScript values through both
 * drizzle dialects. One cluster for the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { openPostgres, type Postgres } from '../../src/db/pg/client.js';
import * as pgSchema from '../../src/db/pg/schema.js';
import * as sqliteSchema from '../../src/db/schema/index.js';
import { createMigratedDatabase } from '../support/postgres-store.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

/**
 * SQLite tables with no PostgreSQL counterpart: FTS5's (search_documents on PostgreSQL), the
 * search documents waiting to be indexed (src/db/search-staging.ts), the pick's per-queue order
 * (src/assignment/sqlite.ts; PostgreSQL locks and reads the members) and SQLite's own.
 */
const FTS_TABLES = ['problems_fts', 'problems_fts_config', 'problems_fts_data', 'problems_fts_docsize', 'problems_fts_idx', 'search_fts', 'search_fts_config', 'search_fts_data', 'search_fts_idx', 'search_pending'];
/** Triggers that sleep on SQLite, kept there (src/db/dormant-triggers.ts). */
const SQLITE_ONLY = [...FTS_TABLES, 'dormant_triggers', 'pick_order', 'sqlite_sequence', '__drizzle_migrations'];
/** PostgreSQL's table with no SQLite counterpart: the search documents (drizzle/pg/0001_search.sql). */
const PG_ONLY = ['search_documents'];
/** SQLite's triggers that are not ported one for one: the ones feeding the FTS5 tables, and those keeping pick_order. */
const NOT_PORTED = /^(search_fts|problems_fts|pick_order)_/;
/** PostgreSQL's triggers keeping search_documents as SQLite's search_fts_* keep search_fts (search-documents.test.ts). */
const PG_NOT_PORTEDS = ['search_documents_case_delete', 'search_documents_case_insert', 'search_documents_case_update', 'search_documents_customer_delete', 'search_documents_customer_insert',
  'search_documents_customer_update', 'search_documents_message', 'search_documents_redaction'];

let cluster: PostgresCluster;
let postgres: Postgres;
let sqlite: Db;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-schema-'));
  sqlite = openDatabase(path.join(dir, 'casebook.db'));
  cluster = await startPostgres();
  postgres = openPostgres(await createMigratedDatabase(cluster));
});

afterAll(async () => {
  await postgres?.close();
  sqlite?.$client.close();
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sqliteRows = <T>(text: string) => sqlite.$client.prepare(text).all() as T[];
const pgRows = async <T>(text: string) => (await postgres.pool.query(text)).rows as T[];

/** Runs one statement on both databases: 'ok' or the error's message, for each. */
async function onBoth(text: string): Promise<{ sqlite: string; pg: string }> {
  let s = 'ok';
  let p = 'ok';
  try {
    sqlite.$client.prepare(text).run();
  } catch (error) {
    s = (error as Error).message;
  }
  try {
    await postgres.pool.query(text);
  } catch (error) {
    p = (error as Error).message;
  }
  return { sqlite: s, pg: p };
}

/** The same SQL on both, which must answer alike: `expected` is what both say. */
async function same(text: string, expected: string): Promise<void> {
  expect(await onBoth(text), text).toEqual({ sqlite: expected, pg: expected });
}

/** The same query on both, which must return the same rows. */
async function sameRows<T>(text: string): Promise<T[]> {
  const rows = sqliteRows<T>(text);
  expect(await pgRows<T>(text), text).toEqual(rows);
  return rows;
}

describe('the PostgreSQL schema matches the migrated SQLite store', () => {
  let tables: string[];
  beforeAll(() => {
    const all = sqliteRows<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).map((r) => r.name);
    for (const name of SQLITE_ONLY) expect(all, 'the list of SQLite-only tables is current').toContain(name);
    tables = all.filter((name) => !SQLITE_ONLY.includes(name));
  });

  it('has the same tables (but the FTS5 ones)', async () => {
    const pg = (await pgRows<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map((r) => r.name);
    expect(pg.filter((name) => !PG_ONLY.includes(name))).toEqual(tables);
    expect(pg).toEqual(expect.arrayContaining(PG_ONLY));
    expect(tables).toHaveLength(50);
  });

  it('has the same columns: names, NOT NULL, primary key', async () => {
    const pg = await pgRows<{ table: string; name: string; not_null: boolean; pk: boolean }>(`
      SELECT c.table_name AS table, c.column_name AS name, c.is_nullable = 'NO' AS not_null,
             EXISTS (SELECT 1 FROM pg_index ix JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY (ix.indkey)
                      WHERE ix.indisprimary AND ix.indrelid = ('public.' || c.table_name)::regclass AND a.attname = c.column_name) AS pk
        FROM information_schema.columns c WHERE c.table_schema = 'public'`);
    for (const table of tables) {
      const expected = sqliteRows<{ name: string; notnull: number; pk: number }>(`PRAGMA table_info("${table}")`)
        .map((c) => ({ name: c.name, notNull: c.notnull === 1 || c.pk > 0, pk: c.pk > 0 }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const actual = pg
        .filter((c) => c.table === table)
        .map((c) => ({ name: c.name, notNull: c.not_null, pk: c.pk }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(actual, table).toEqual(expected);
    }
  });

  it('has the same indexes: names, uniqueness, partial or not, columns (null: an expression)', async () => {
    const pg = await pgRows<{ table: string; name: string; unique: boolean; partial: boolean; columns: (string | null)[] }>(`
      SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indpred IS NOT NULL AS partial,
             array(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                     LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
        FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'public' AND NOT ix.indisprimary`);
    let count = 0;
    for (const table of tables) {
      const expected = sqliteRows<{ name: string; unique: number; origin: string; partial: number }>(`PRAGMA index_list("${table}")`)
        .filter((i) => i.origin !== 'pk')
        .map((i) => ({
          name: i.name,
          unique: i.unique === 1,
          partial: i.partial === 1,
          columns: sqliteRows<{ name: string | null }>(`PRAGMA index_info("${i.name}")`).map((c) => c.name),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const actual = pg
        .filter((i) => i.table === table)
        .map(({ table: _, ...i }) => i)
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(actual, table).toEqual(expected);
      count += expected.length;
    }
    expect(count).toBeGreaterThan(60);
  });

  it('has the same foreign keys, with their actions', async () => {
    const pg = await pgRows<{ table: string; from: string; target: string; to: string; on_delete: string }>(`
      SELECT c.conrelid::regclass::text AS table, a.attname AS from, c.confrelid::regclass::text AS target, fa.attname AS to,
             CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END AS on_delete
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
       WHERE c.contype = 'f'`);
    const key = (f: { table: string; from: string }) => `${f.table}.${f.from}`;
    const expected = tables
      .flatMap((table) =>
        sqliteRows<{ table: string; from: string; to: string; on_delete: string }>(`PRAGMA foreign_key_list("${table}")`).map((f) => ({
          table,
          from: f.from,
          target: f.table,
          to: f.to,
          on_delete: f.on_delete,
        })),
      )
      .sort((a, b) => key(a).localeCompare(key(b)));
    expect(pg.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected);
    expect(expected.length).toBeGreaterThan(30);
  });
});

describe('the triggers behave as SQLite’s', () => {
  beforeAll(async () => {
    for (const text of [
      `INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (1, 'chloe@example.com', 'Chloe', 1, 1), (2, 'dan@example.com', 'Dan', 1, 1)`,
      `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', 1)`,
      `INSERT INTO staff (id, email, name, role, created_at, updated_at) VALUES (1, 'alice@casebook.test', 'Alice', 'agent', 1, 1), (2, 'bob@casebook.test', 'Bob', 'agent', 1, 1)`,
    ]) {
      await same(text, 'ok');
    }
  });

  it('ports every trigger SQLite’s migrations create, but the search ones', async () => {
    const ported = ['audit_log_no_delete', 'audit_log_no_update', 'case_events_no_delete', 'case_events_no_update', 'case_events_redaction_keeps_shape', 'case_events_webhooks',
      'cases_change_seq_insert', 'cases_change_seq_update', 'cases_customer_open_delete', 'cases_customer_open_insert', 'cases_customer_open_update', 'cases_load_delete', 'cases_load_insert', 'cases_load_update', 'customer_changes_no_delete', 'customer_changes_no_update', 'erasures_close_only', 'erasures_no_delete',
      'problems_revision_delete', 'problems_revision_insert', 'problems_revision_update'];
    // Awake or asleep (src/db/dormant-triggers.ts).
    const inSqlite = sqliteRows<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'trigger' UNION SELECT name FROM dormant_triggers ORDER BY name`).map((r) => r.name).filter((n) => !NOT_PORTED.test(n));
    expect(inSqlite).toEqual(ported); // a new SQLite trigger needs its port in drizzle/pg and a test here
    const inPg = (await pgRows<{ name: string }>(`SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`)).map((r) => r.name);
    // case_events_redaction_keeps_shape is checked first inside case_events_no_update (SQLite fires it first).
    expect(inPg).toEqual([...ported.filter((n) => n !== 'case_events_redaction_keeps_shape'), ...PG_NOT_PORTEDS].sort());
  });

  it('numbers cases from 1001, and still takes an explicit id', async () => {
    const insert = (id: string, assignee: string, open: string) =>
      `INSERT INTO cases (${id ? 'id, ' : ''}customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at, assignee_id, open)
       VALUES (${id ? `${id}, ` : ''}1, 'Cannot sign in', 'Locked out', 'open', 1, 'general', 'default', 1, 1, 1, ${assignee}, ${open})`;
    await same(insert('', 'NULL', 'true'), 'ok');
    await same(insert('5000', 'NULL', 'true'), 'ok');
    expect(await sameRows('SELECT id FROM cases ORDER BY id')).toEqual([{ id: 1001 }, { id: 5000 }].map((r) => ({ id: r.id })));
  });

  it('numbers every insert and update of a case, one more than any case has (change_seq, the incremental sync order)', async () => {
    const add = (id: number) =>
      `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
       VALUES (${id}, 1, 'Sync', 'Order of changes', 'open', 1, 'general', 'default', 1, 1, 1)`;
    await same(add(3001), 'ok');
    await same(add(3002), 'ok');
    await same(add(3003), 'ok');
    await same(`UPDATE cases SET subject = 'Sync again' WHERE id = 3001`, 'ok');
    // Written as it was (the code never writes it): still a change, numbered.
    await same(`UPDATE cases SET priority = 'high', change_seq = change_seq WHERE id = 3002`, 'ok');
    const order = `SELECT id, CAST(change_seq - (SELECT min(change_seq) FROM cases WHERE id >= 3001 AND id <= 3003) AS integer) AS step FROM cases WHERE id >= 3001 AND id <= 3003 ORDER BY change_seq`;
    expect(await sameRows(order)).toEqual([
      { id: 3003, step: 0 },
      { id: 3001, step: 1 },
      { id: 3002, step: 2 },
    ]);
    expect(await sameRows(`SELECT CAST(count(*) - count(DISTINCT change_seq) AS integer) AS n FROM cases`)).toEqual([{ n: 0 }]);
    await same('DELETE FROM cases WHERE id IN (3001, 3002, 3003)', 'ok');
  });

  it('keeps each agent’s load (staff.open_cases) as cases are assigned, closed, reopened and deleted', async () => {
    const load = () => sameRows<{ id: number; open_cases: number }>('SELECT id, open_cases FROM staff ORDER BY id');
    const expectLoad = async (alice: number, bob: number) => expect(await load()).toEqual([{ id: 1, open_cases: alice }, { id: 2, open_cases: bob }]);
    const add = (id: number, assignee: string, open: string) =>
      `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at, assignee_id, open)
       VALUES (${id}, 2, 'Refund', 'Charged twice', 'open', 1, 'general', 'default', 1, 1, 1, ${assignee}, ${open})`;
    await same(add(2001, '1', 'true'), 'ok');
    await expectLoad(1, 0);
    await same(add(2002, '1', 'false'), 'ok');
    await same(add(2003, 'NULL', 'true'), 'ok');
    await expectLoad(1, 0);
    await same('UPDATE cases SET assignee_id = 2 WHERE id = 2001', 'ok');
    await expectLoad(0, 1);
    await same('UPDATE cases SET open = false WHERE id = 2001', 'ok');
    await expectLoad(0, 0);
    await same('UPDATE cases SET open = true, assignee_id = 1 WHERE id = 2001', 'ok');
    await expectLoad(1, 0);
    await same(`UPDATE cases SET subject = 'Refund please' WHERE id = 2001`, 'ok');
    await same('UPDATE cases SET assignee_id = 2 WHERE id = 2003', 'ok');
    await expectLoad(1, 1);
    await same('DELETE FROM cases WHERE id IN (2001, 2002, 2003)', 'ok');
    await expectLoad(0, 0);
  });

  it('keeps each customer’s open cases (customers.open_cases) as cases come, close, reopen, move to another customer and go', async () => {
    await same(`INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (3, 'erin@example.com', 'Erin', 1, 1), (4, 'finn@example.com', 'Finn', 1, 1)`, 'ok');
    const counts = () => sameRows<{ id: number; open_cases: number }>('SELECT id, open_cases FROM customers WHERE id IN (3, 4) ORDER BY id');
    const expectOpen = async (erin: number, finn: number) => expect(await counts()).toEqual([{ id: 3, open_cases: erin }, { id: 4, open_cases: finn }]);
    const add = (id: number, customer: number, open: string) =>
      `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at, open)
       VALUES (${id}, ${customer}, 'Invoice', 'Wrong address', 'open', 1, 'general', 'default', 1, 1, 1, ${open})`;
    await same(add(4001, 3, 'true'), 'ok');
    await same(add(4002, 3, 'true'), 'ok');
    await same(add(4003, 3, 'false'), 'ok');
    await expectOpen(2, 0);
    await same('UPDATE cases SET open = false WHERE id = 4001', 'ok');
    await expectOpen(1, 0);
    await same('UPDATE cases SET open = true WHERE id = 4003', 'ok');
    await expectOpen(2, 0);
    await same('UPDATE cases SET customer_id = 4 WHERE id IN (4002, 4001)', 'ok'); // a merge: one open, one closed
    await expectOpen(1, 1);
    await same('UPDATE cases SET customer_id = 3, open = false WHERE id = 4002', 'ok');
    await expectOpen(1, 0);
    await same(`UPDATE cases SET subject = 'Invoice again' WHERE id = 4003`, 'ok');
    await expectOpen(1, 0);
    await same('DELETE FROM cases WHERE id IN (4001, 4002, 4003)', 'ok');
    await expectOpen(0, 0);
    // Every customer's figure is a count of their open cases (the earlier tests' cases included).
    expect(await sameRows('SELECT id FROM customers WHERE open_cases != (SELECT count(*) FROM cases c WHERE c.customer_id = customers.id AND c.open = true)')).toEqual([]);
  });

  it('keeps the timeline, the profile history and the audit log append-only, but for an open erasure’s redaction', async () => {
    await same(`INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (1001, 'case.created', 1, 'system', '{"subject":"Cannot sign in"}')`, 'ok');
    await same(`INSERT INTO customer_changes (customer_id, at, via, actor_type, actor_name, changes) VALUES (1, 1, 'edit', 'system', 'Casebook', '{}')`, 'ok');
    await same(`INSERT INTO audit_log (at, actor_type, actor_name, entity_type, entity_id, action) VALUES (1, 'system', 'Casebook', 'queue', 'general', 'created')`, 'ok');
    const redaction = 'a redaction changes only the data of a timeline entry';
    await same(`UPDATE case_events SET type = 'case.renamed'`, redaction);
    await same(`UPDATE case_events SET data = '{"subject":"[erased]"}'`, 'case_events is append-only');
    await same('DELETE FROM case_events', 'case_events is append-only');
    await same(`UPDATE customer_changes SET reason = 'typo'`, 'customer_changes is append-only');
    await same('DELETE FROM customer_changes', 'customer_changes is append-only');
    await same(`UPDATE audit_log SET action = 'deleted'`, 'audit_log is append-only');
    await same('DELETE FROM audit_log', 'audit_log is append-only');

    // An erasure of one case (retention): its timeline may be redacted, the customer's history not.
    await same(`INSERT INTO erasures (id, customer_id, case_id, reason, actor_type, actor_name, started_at) VALUES (1, 1, 1001, 'retention', 'system', 'Casebook', 2)`, 'ok');
    await same(`UPDATE case_events SET data = '{"subject":"[erased]"}'`, 'ok');
    await same('UPDATE case_events SET at = 2', redaction);
    await same(`UPDATE customer_changes SET reason = '[erased]'`, 'customer_changes is append-only');
    await same(`UPDATE erasures SET completed_at = 3 WHERE id = 1`, 'ok');
    // An erasure of the whole customer (a request): both, texts only.
    await same(`INSERT INTO erasures (id, customer_id, reason, actor_type, actor_name, started_at) VALUES (2, 1, 'request', 'staff', 'Maria', 4)`, 'ok');
    await same(`UPDATE case_events SET data = '{}'`, 'ok');
    await same(`UPDATE customer_changes SET reason = '[erased]', changes = '{}'`, 'ok');
    await same(`UPDATE customer_changes SET via = 'intake'`, 'customer_changes is append-only');
    await same(`UPDATE customer_changes SET actor_id = 7`, 'customer_changes is append-only');

    // An erasure only ever closes, once; none is deleted.
    const closed = 'an erasure is only ever closed';
    await same(`UPDATE erasures SET actor_name = 'Someone else' WHERE id = 2`, closed);
    await same(`UPDATE erasures SET summary = '{"cases":1}' WHERE id = 2`, closed); // still open: closing sets completed_at
    await same(`UPDATE erasures SET completed_at = 5, summary = '{"cases":1}' WHERE id = 2`, 'ok');
    await same(`UPDATE erasures SET completed_at = 6 WHERE id = 2`, closed);
    await same('DELETE FROM erasures', 'erasures is append-only');
    // Closed: append-only again.
    await same(`UPDATE case_events SET data = '{"again":true}'`, 'case_events is append-only');
    await same(`UPDATE customer_changes SET reason = 'again'`, 'customer_changes is append-only');
    expect(await sameRows('SELECT id, completed_at FROM erasures ORDER BY id')).toEqual([
      { id: 1, completed_at: 3 },
      { id: 2, completed_at: 5 },
    ]);
  });

  it('raises the append-only refusals as integrity constraint violations on PostgreSQL', async () => {
    await expect(postgres.pool.query('DELETE FROM audit_log')).rejects.toMatchObject({ code: '23000', message: 'audit_log is append-only' });
  });

  it('gives the problem library a new revision with every change to a problem', async () => {
    const revision = async () => ({
      sqlite: sqliteRows<{ revision: number }>('SELECT revision FROM problem_library_revision WHERE id = 1')[0]!.revision,
      pg: (await pgRows<{ revision: number }>('SELECT revision FROM problem_library_revision WHERE id = 1'))[0]!.revision,
    });
    let before = await revision();
    expect(Number.isSafeInteger(before.pg)).toBe(true);
    for (const text of [
      `INSERT INTO problems (id, title, symptoms, solution, created_at, updated_at) VALUES (1, 'Locked out', 'cannot sign in', 'Reset it', 1, 1)`,
      `UPDATE problems SET synonyms = 'locked out' WHERE id = 1`,
      `DELETE FROM problems WHERE id = 1`,
    ]) {
      await same(text, 'ok');
      const after = await revision();
      expect(after.sqlite, text).not.toBe(before.sqlite);
      expect(after.pg, text).not.toBe(before.pg);
      before = after;
    }
    await same(`UPDATE problems SET title = 'none' WHERE id = 99`, 'ok'); // no row changed: no new revision
    expect(await revision()).toEqual(before);
  });

  it('announces the timeline entries webhooks may want through the outbox, while a subscription is enabled, unless imported', async () => {
    const event = (id: number, type: string, data: string) =>
      `INSERT INTO case_events (id, case_id, type, at, actor_type, data) VALUES (${id}, 1001, '${type}', ${id * 10}, 'system', '${data}')`;
    const announced = async () => {
      const s = sqlite.select().from(sqliteSchema.outbox).orderBy(asc(sqliteSchema.outbox.id)).all();
      const p = await postgres.db.select().from(pgSchema.outbox).orderBy(asc(pgSchema.outbox.id));
      expect(p).toEqual(s);
      return s.map((o) => ({ type: o.type, caseId: o.caseId, payload: o.payload, createdAt: o.createdAt, availableAt: o.availableAt }));
    };
    await same(event(100, 'case.assigned', '{}'), 'ok');
    expect(await announced()).toEqual([]); // no subscription
    await same(`INSERT INTO webhook_subscriptions (id, url, events, secret, created_by, created_at) VALUES (1, 'https://hooks.example/x', '["case.created"]', 'whsec_x', 'Maria', 1)`, 'ok');
    await same(event(101, 'case.assigned', '{}'), 'ok');
    await same(event(102, 'routing.decided', '{}'), 'ok'); // not a webhook event
    await same(event(103, 'staff.replied', '{"imported":true,"body":"Hi"}'), 'ok');
    await same(event(104, 'customer.replied', '{"imported":null,"body":"Hello"}'), 'ok');
    await same(`UPDATE webhook_subscriptions SET enabled = false`, 'ok');
    await same(event(105, 'case.rated', '{}'), 'ok');
    await same(`UPDATE webhook_subscriptions SET enabled = true, deleted_at = 9`, 'ok');
    await same(event(106, 'case.rated', '{}'), 'ok');
    expect(await announced()).toEqual([
      { type: 'webhook.event', caseId: null, payload: { event: 101 }, createdAt: 1010, availableAt: 1010 },
      { type: 'webhook.event', caseId: null, payload: { event: 104 }, createdAt: 1040, availableAt: 1040 },
    ]);
  });
});

describe('rows read back as the same JavaScript values through both drizzle dialects', () => {
  it('booleans, JSON, enums, ms times past int4, reals and defaults', async () => {
    const staff = { id: 10, email: 'erin@casebook.test', name: 'Erin', role: 'advanced' as const, skills: ['billing', 'ünïcode'], available: false, createdAt: 1_764_547_200_123, updatedAt: 1_764_547_200_124 };
    sqlite.insert(sqliteSchema.staff).values(staff).run();
    await postgres.db.insert(pgSchema.staff).values(staff);
    const routing: sqliteSchema.RoutingRecord = {
      ruleset: 'routing',
      version: 3,
      event: 'case.created',
      fired: [{ rule: 'refunds', priority: 10, event: { type: 'route', params: { queue: 'general', nested: { a: [1, 2.5, null] } } } }],
      outcome: { queue: 'general', priority: 'high', tags: ['refund'], skills: [], slaPolicy: null, escalate: null },
      input: { customer: { tier: 'vip' }, diagnosis: { matched: false }, withinBusinessHours: true },
    };
    const row = {
      id: 7777,
      customerId: 2,
      subject: 'Refund “twice”',
      description: 'Line one\nLine two',
      channel: 'email' as const,
      status: 'open',
      stateEnteredAt: 1_764_547_200_000,
      queueId: 'general',
      assigneeId: 10,
      tags: ['refund', 'vip'],
      workflow: 'default',
      workflowVersion: 2,
      routing,
      createdAt: 1_764_547_200_000,
      updatedAt: 1_764_547_200_001,
    };
    sqlite.insert(sqliteSchema.cases).values(row).run();
    await postgres.db.insert(pgSchema.cases).values(row);
    const fromSqlite = sqlite.select().from(sqliteSchema.cases).where(eq(sqliteSchema.cases.id, 7777)).get();
    const [fromPg] = await postgres.db.select().from(pgSchema.cases).where(eq(pgSchema.cases.id, 7777));
    expect(fromPg).toStrictEqual(fromSqlite);
    expect(fromPg).toMatchObject({ open: true, diagnosisMatched: false, slaDueAt: sqliteSchema.NO_DUE_AT, skills: [], suggestions: [], routing, priority: 'normal', version: 1 });

    const timer = { caseId: 7777, metric: 'resolution' as const, state: 'running' as const, policy: 'standard', policyVersion: 1, calendar: 'office', targetMinutes: 2400, warnOffsetMinutes: 480.5, usedMinutes: 12.25, startedAt: 1, updatedAt: 2 };
    sqlite.insert(sqliteSchema.slaTimers).values(timer).run();
    await postgres.db.insert(pgSchema.slaTimers).values(timer);
    const timerSqlite = sqlite.select().from(sqliteSchema.slaTimers).get();
    const [timerPg] = await postgres.db.select().from(pgSchema.slaTimers);
    expect({ ...timerPg, id: 0 }).toStrictEqual({ ...timerSqlite, id: 0 }); // ids from each database's own sequence
    expect(timerPg).toMatchObject({ warnOffsetMinutes: 480.5, usedMinutes: 12.25, dueAt: null });

    const [staffPg] = await postgres.db.select().from(pgSchema.staff).where(eq(pgSchema.staff.id, 10));
    expect(staffPg).toStrictEqual(sqlite.select().from(sqliteSchema.staff).where(eq(sqliteSchema.staff.id, 10)).get());
    expect(staffPg).toMatchObject({ available: false, active: true, openCases: 1, skills: ['billing', 'ünïcode'] });
  });
});
