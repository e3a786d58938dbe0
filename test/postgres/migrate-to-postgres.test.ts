/**
 * `npm run db:migrate-to-postgres` (src/db/pg/copy/): a SQLite installation made through
 * Casebook's commands (./copy-world.ts) copied into a throw-away cluster. Every table's rows,
 * read back through both drizzle schemas, are the same JavaScript values; case ids continue;
 * every refusal is one line and leaves the target as it was; a difference found by the
 * verification rolls everything back; a dry run leaves no row. One cluster for the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { asc, desc, getTableColumns, type Column } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import Database from 'better-sqlite3';
import { bigint, getTableConfig, jsonb, pgTable, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { integer, sqliteTable, text, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/pg/client.js';
import * as pgSchema from '../../src/db/pg/schema.js';
import * as sqliteSchema from '../../src/db/schema/index.js';
import { lockServerDatabase } from '../../src/db/server-lock.js';
import { canonical } from '../../src/db/pg/copy/checksum.js';
import { copyPlan, orderTables, pairTables } from '../../src/db/pg/copy/plan.js';
import { migrateToPostgres, MigrateToPostgresError, type MigrateToPostgresOptions } from '../../src/db/pg/copy/migrate-to-postgres.js';
import { MIGRATION_ROWS, TRIGGERS_OFF_DURING_COPY } from '../../src/db/pg/copy/target.js';
import { rebuildSearchDocuments } from '../../src/search/pg/rebuild-documents.js';
import { ROOT, tempDir } from '../support/harness.js';
import { freePort } from '../support/free-port.js';
import { createMigratedDatabase } from '../support/postgres-store.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { scriptNodeArgs } from '../support/server.js';
import { buildCopyWorld } from './copy-world.js';

let cluster: PostgresCluster;
let source: string;
const plan = copyPlan();

beforeAll(async () => void ([cluster, { file: source }] = await Promise.all([startPostgres(), buildCopyWorld()])));
afterAll(async () => cluster?.stop());

/** The refusal `run` ends with (a MigrateToPostgresError: its code and its one line). */
async function refusal(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await run.then(() => null, (e: unknown) => e); // prettier-ignore
  expect(error).toBeInstanceOf(MigrateToPostgresError);
  const { code, message } = error as MigrateToPostgresError;
  expect(message).not.toContain('\n');
  return { code, message };
}

/** Rows per copied table in the target (the migrations' own rows not counted). */
async function targetRows(url: string): Promise<Record<string, number>> {
  const pg = openPostgres(url, { max: 1 });
  try {
    const out: Record<string, number> = {};
    for (const t of plan.tables) out[t.name] = Number((await pg.pool.query(`SELECT count(*) AS n FROM "${t.name}"`)).rows[0].n) - (MIGRATION_ROWS[t.name] ?? 0);
    return out;
  } finally {
    await pg.close();
  }
}
const emptyCounts = () => Object.fromEntries(plan.tables.map((t) => [t.name, 0]));

/** A table's primary key as drizzle's order by, in either dialect. */
function byPrimaryKey(table: (typeof plan.tables)[number], of: 'sqlite' | 'pg') {
  const columns = getTableColumns(table[of]) as Record<string, Column>;
  return table.primaryKey.map((name) => asc(Object.values(columns).find((c) => c.name === name)!));
}

describe('copying a SQLite installation to PostgreSQL', () => {
  let url: string;
  let result: Awaited<ReturnType<typeof migrateToPostgres>>;
  const sqlite = () => drizzle(new Database(source, { readonly: true }), { schema: sqliteSchema });

  beforeAll(async () => {
    url = await cluster.createDatabase();
    result = await migrateToPostgres({ from: source, to: url });
  });

  it('copies every table with its count and checksum, the realistic data there', () => {
    const db = sqlite();
    const counts = Object.fromEntries(plan.tables.map((t) => [t.name, (db.$client.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n]));
    db.$client.close();
    expect(result.committed).toBe(true);
    expect(Object.fromEntries(result.tables.map((t) => [t.table, t.rows]))).toEqual(counts);
    for (const table of ['cases', 'case_events', 'sla_timers', 'attachments', 'customers', 'customer_changes', 'audit_log', 'chat_messages', 'chat_sessions', 'erasures', 'outbox', 'webhook_subscriptions', 'sla_reports', 'problems']) {
      expect(counts[table], table).toBeGreaterThan(0);
    }
    expect(result.rows).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    expect(result.attachments).toBe(counts.attachments);
    expect(result.tables.every((t) => /^[0-9a-f]{64}$/.test(t.checksum))).toBe(true);
  });

  it('reads back the same JavaScript values through both drizzle schemas, table by table', async () => {
    const db = sqlite();
    const pg = openPostgres(url, { max: 1 });
    try {
      for (const table of plan.tables) {
        const fromSqlite = db.select().from(table.sqlite).orderBy(...byPrimaryKey(table, 'sqlite')).all();
        const fromPg = await pg.db.select().from(table.pg).orderBy(...byPrimaryKey(table, 'pg'));
        expect(fromPg.length, table.name).toBe(fromSqlite.length);
        expect(fromPg.map(canonical), table.name).toEqual(fromSqlite.map(canonical));
      }
      // A few rows as they are, not only their canonical text.
      expect(await pg.db.select().from(pgSchema.cases).orderBy(asc(pgSchema.cases.id))).toEqual(db.select().from(sqliteSchema.cases).orderBy(asc(sqliteSchema.cases.id)).all());
      expect(await pg.db.select().from(pgSchema.staff).orderBy(asc(pgSchema.staff.id))).toEqual(db.select().from(sqliteSchema.staff).orderBy(asc(sqliteSchema.staff.id)).all());
    } finally {
      db.$client.close();
      await pg.close();
    }
  });

  it('continues case ids after the last one copied', async () => {
    const pg = openPostgres(url, { max: 1 });
    try {
      const [last] = await pg.db.select().from(pgSchema.cases).orderBy(desc(pgSchema.cases.id)).limit(1);
      const { id: _id, ...rest } = last!;
      const [next] = await pg.db.insert(pgSchema.cases).values(rest).returning({ id: pgSchema.cases.id });
      expect(next!.id).toBe(last!.id + 1);
      // Every identity: its next value is past the largest id copied.
      const { rows } = await pg.pool.query<{ table: string; column: string }>("SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'");
      expect(rows.length).toBeGreaterThan(30);
      for (const { table, column } of rows) {
        const { max, seq } = (await pg.pool.query(`SELECT max("${column}") AS max, pg_sequence_last_value(pg_get_serial_sequence('"${table}"', '${column}')) AS seq FROM "${table}"`)).rows[0];
        if (max !== null) expect(seq, table).toBeGreaterThanOrEqual(max);
      }
    } finally {
      await pg.close();
    }
  });

  it('fills the search documents as it copies: the same as a rebuild from the copied rows', async () => {
    const pg = openPostgres(url, { max: 1 });
    const client = await pg.pool.connect();
    const documents = async () => (await client.query<{ doc: number; words: string }>('SELECT doc, words::text AS words FROM search_documents ORDER BY doc')).rows;
    try {
      const copied = await documents();
      expect(copied.filter((d) => d.doc > 0).length).toBeGreaterThan(0); // cases and messages
      expect(copied.filter((d) => d.doc < 0).length).toBeGreaterThan(0); // customers
      await client.query('BEGIN');
      await rebuildSearchDocuments(client);
      expect(await documents()).toEqual(copied);
      await client.query('ROLLBACK');
    } finally {
      client.release();
      await pg.close();
    }
  });

  it('refuses a second run into the same database: it holds Casebook data', async () => {
    const { code, message } = await refusal(migrateToPostgres({ from: source, to: url }));
    expect(code).toBe('TARGET_NOT_EMPTY');
    expect(message).toMatch(/already holds Casebook data \(\w+ has rows\)\. Fix: /);
  });
});

describe('what the copy refuses, leaving the target as it was', () => {
  it('a source a running server holds: stop the server first', async () => {
    const url = await createMigratedDatabase(cluster);
    const lock = lockServerDatabase(source);
    try {
      const { code, message } = await refusal(migrateToPostgres({ from: source, to: url }));
      expect(code).toBe('SOURCE_IN_USE');
      expect(message).toContain('stop the server first');
      expect(message).toContain(`pid ${process.pid}`);
    } finally {
      lock.release();
    }
    expect(await targetRows(url)).toEqual(emptyCounts());
  });

  it('a source behind the latest migration, and one with a table it does not know', async () => {
    const dir = tempDir();
    const behind = path.join(dir, 'behind.db');
    const newer = path.join(dir, 'newer.db');
    for (const file of [behind, newer]) await new Database(source, { readonly: true }).backup(file);
    const edit = (file: string, text: string) => {
      const db = new Database(file);
      db.exec(text);
      db.close();
    };
    edit(behind, 'DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)');
    edit(newer, 'CREATE TABLE mystery (id INTEGER PRIMARY KEY)');
    const url = await createMigratedDatabase(cluster);
    expect(await refusal(migrateToPostgres({ from: behind, to: url }))).toMatchObject({ code: 'SOURCE_NOT_MIGRATED', message: expect.stringMatching(/missing \d{4}_\w+\)\. Fix: start this version once/) });
    expect(await refusal(migrateToPostgres({ from: newer, to: url }))).toMatchObject({ code: 'UNKNOWN_SOURCE_TABLE', message: expect.stringContaining('does not know: mystery') });
    expect(await targetRows(url)).toEqual(emptyCounts());
  });

  it('an unreachable target, named without its password', async () => {
    const url = `postgres://casebook:s3cret-pw@127.0.0.1:${await freePort()}/casebook`;
    const { code, message } = await refusal(migrateToPostgres({ from: source, to: url }));
    expect(code).toBe('TARGET_UNREACHABLE');
    expect(message).toContain('postgres://casebook:***@127.0.0.1:');
    expect(message).not.toContain('s3cret-pw');
  });

  it('a copy that differs from the source when verified: everything rolled back, the table named', async () => {
    const url = await createMigratedDatabase(cluster);
    const tamper: MigrateToPostgresOptions['beforeVerify'] = async (client) => {
      await client.query("UPDATE customers SET name = name || ' (changed)' WHERE id = (SELECT min(id) FROM customers)");
    };
    const { code, message } = await refusal(migrateToPostgres({ from: source, to: url, beforeVerify: tamper }));
    expect(code).toBe('VERIFICATION_FAILED');
    expect(message).toMatch(/differs from the source in customers \(source \d+ rows, [0-9a-f]{12}; PostgreSQL \d+ rows, [0-9a-f]{12}\): nothing was committed/);
    expect(message).not.toMatch(/; cases \(|in cases \(/);
    expect(await targetRows(url)).toEqual(emptyCounts());
  });

  it('--dry-run copies and verifies everything, then leaves the target empty', async () => {
    const url = await createMigratedDatabase(cluster);
    const seen: string[] = [];
    // The webhook subscription first (it has no parent), so that case_events_webhooks would
    // queue a delivery for every copied entry if the copy did not pause it: the outbox would differ.
    const subscriptionsFirst = { ...plan, tables: [...plan.tables.filter((t) => t.name === 'webhook_subscriptions'), ...plan.tables.filter((t) => t.name !== 'webhook_subscriptions')] };
    const result = await migrateToPostgres({ from: source, to: url, dryRun: true, plan: subscriptionsFirst, onTable: (t) => seen.push(t.table) });
    expect(result.committed).toBe(false);
    expect(seen).toEqual(subscriptionsFirst.tables.map((t) => t.name));
    expect(result.rows).toBeGreaterThan(100);
    expect(await targetRows(url)).toEqual(emptyCounts());
  });
});

describe('npm run db:migrate-to-postgres', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, scriptNodeArgs('scripts/migrate-to-postgres.ts', ...args), { cwd: ROOT, env: { ...process.env, DATABASE_PATH: source }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('prints a line per table and the total, says where the attachments are; refusals are one line', async () => {
    const empty = await cluster.createDatabase();
    const full = await cluster.createDatabase();
    await migrateToPostgres({ from: source, to: full });
    // Another copy of the source: two runs at once on one file, the second would be refused as in use.
    const copy = path.join(tempDir(), 'copy.db');
    await new Database(source, { readonly: true }).backup(copy);
    const [dry, refused, typo] = await Promise.all([run(['--to', empty, '--dry-run']), run(['--to', full, '--from', copy]), run(['--dry-run', '--form', source])]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^ {2}cases +\d+ rows {2}sha256 [0-9a-f]{16} {2}ok$/m);
    expect(dry.stdout).toMatch(new RegExp(`^${plan.tables.length} tables, \\d+ rows copied; every count and checksum equal the source's; rolled back \\(dry run\\)`, 'm'));
    expect(dry.stdout).toMatch(/^Attachments: \d+ attachment row\(s\) name files in .+files, which stay where they are: set ATTACHMENTS_DIR=/m);
    expect(await targetRows(empty)).toEqual(emptyCounts());
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('already holds Casebook data');
    expect(typo.code).toBe(1);
    expect(typo.stderr.split('\n')[0]).toBe('Unknown option --form.');
    expect(fs.existsSync(source)).toBe(true);
  }, 60_000);
});

describe('the copy order', () => {
  it("puts every parent before its children: Casebook's foreign keys need no deferring", () => {
    const position = new Map(plan.tables.map((t, i) => [t.name, i]));
    for (const table of plan.tables) {
      for (const fk of getTableConfig(table.pg).foreignKeys) {
        expect(position.get(getTableConfig(fk.reference().foreignTable).name)!, `${table.name} → ${fk.getName()}`).toBeLessThan(position.get(table.name)!);
      }
    }
    expect(plan.deferred).toEqual([]);
  });

  it('pauses triggers the migrations create (a renamed one would fire during the copy)', async () => {
    const pg = openPostgres(await createMigratedDatabase(cluster), { max: 1 });
    try {
      const { rows } = await pg.pool.query("SELECT c.relname || '.' || t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal");
      const names = rows.map((r: { name: string }) => r.name);
      for (const t of TRIGGERS_OFF_DURING_COPY) expect(names).toContain(`${t.table}.${t.trigger}`);
    } finally {
      await pg.close();
    }
  });

  it('defers a self-reference (NOT NULL, parent after child) and makes it immediate again', async () => {
    const sqliteNodes = sqliteTable('nodes', {
      id: integer('id').primaryKey(),
      parentId: integer('parent_id').notNull().references((): AnySQLiteColumn => sqliteNodes.id), // prettier-ignore
      label: text('label', { mode: 'json' }).$type<unknown>(),
    });
    const pgNodes = pgTable('nodes', {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
      parentId: bigint('parent_id', { mode: 'number' }).notNull().references((): AnyPgColumn => pgNodes.id), // prettier-ignore
      label: jsonb('label'),
    });
    const withNodes = orderTables(pairTables({ ...sqliteSchema, nodes: sqliteNodes }, { ...pgSchema, nodes: pgNodes }));
    expect(withNodes.deferred).toEqual([{ table: 'nodes', constraint: 'nodes_parent_id_nodes_id_fk' }]);

    const file = path.join(tempDir(), 'nodes.db');
    await new Database(source, { readonly: true }).backup(file);
    const db = new Database(file);
    db.exec(`CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES nodes(id), label TEXT);
             INSERT INTO nodes VALUES (1, 2, '{"b":1,"a":[true,null]}'), (2, 1, 'null'), (3, 3, NULL);`);
    db.close();
    const url = await createMigratedDatabase(cluster);
    const pg = openPostgres(url, { max: 1 });
    try {
      await pg.pool.query('CREATE TABLE nodes (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, parent_id bigint NOT NULL, label jsonb, CONSTRAINT nodes_parent_id_nodes_id_fk FOREIGN KEY (parent_id) REFERENCES nodes (id))');
      // One row per INSERT: within one statement PostgreSQL checks a foreign key at its end anyway.
      const result = await migrateToPostgres({ from: file, to: url, plan: withNodes, batchRows: 1 });
      expect(result.tables.find((t) => t.table === 'nodes')?.rows).toBe(3);
      const rows = await pg.pool.query("SELECT id, parent_id, label, label IS NULL AS sql_null, jsonb_typeof(label) AS type, nextval(pg_get_serial_sequence('nodes', 'id')) AS next FROM nodes ORDER BY id");
      expect(rows.rows.map(({ next: _n, ...r }) => r)).toEqual([
        { id: 1, parent_id: 2, label: { a: [true, null], b: 1 }, sql_null: false, type: 'object' },
        { id: 2, parent_id: 1, label: null, sql_null: false, type: 'null' }, // JSON null stays jsonb's null
        { id: 3, parent_id: 3, label: null, sql_null: true, type: null },
      ]);
      expect(rows.rows[0].next).toBe(4);
      const constraint = await pg.pool.query("SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = 'nodes_parent_id_nodes_id_fk'");
      expect(constraint.rows).toEqual([{ condeferrable: false, condeferred: false }]);
    } finally {
      await pg.close();
    }
  });
});
