/**
 * What `npm run db:migrate-to-postgres` copies (docs/deploying.md "Moving to PostgreSQL"):
 * every table of the SQLite schema (src/db/schema) paired with the table of the same export
 * name in the generated PostgreSQL schema (src/db/pg/schema.ts), its columns paired by key,
 * in foreign-key order (parents first). A foreign key that the order cannot satisfy (a
 * self-reference, a cycle) is named so the copy can defer it. Values go through the column
 * objects of both dialects, the mapping the generated schema is made of (integer booleans →
 * boolean, JSON text → jsonb …): SQLite's `mapFromDriverValue`, then PostgreSQL's
 * `mapToDriverValue` — never a conversion listed per column.
 */
import { getTableColumns, is, type Column } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as sqliteSchema from '../../schema/index.js';
import * as pgSchema from '../schema.js';

/**
 * SQLite tables that have no PostgreSQL counterpart and are not copied: FTS5's search indexes
 * and their shadow tables (rebuilt from the copied rows by PostgreSQL's own search), the search
 * documents waiting to be indexed (src/db/search-staging.ts: their cases and customers are copied), the
 * SQL of SQLite's sleeping triggers (src/db/dormant-triggers.ts: PostgreSQL keeps its own), the
 * pick's per-queue order (src/assignment/sqlite.ts: derived from staff and their queues), SQLite's
 * bookkeeping (AUTOINCREMENT counters: read for the identities, not copied; ANALYZE's
 * statistics) and drizzle's journal (PostgreSQL has its own, written by migratePostgres).
 */
export const SQLITE_ONLY_TABLES: readonly string[] = [
  'search_fts',
  'search_fts_config',
  'search_fts_data',
  'search_fts_idx',
  'search_pending',
  'dormant_triggers',
  'pick_order',
  'problems_fts',
  'problems_fts_config',
  'problems_fts_data',
  'problems_fts_docsize',
  'problems_fts_idx',
  'sqlite_sequence',
  'sqlite_stat1',
  'sqlite_stat4',
  '__drizzle_migrations',
];

export interface CopyColumn {
  /** The SQL name (the same in both dialects). */
  name: string;
  sqlite: Column;
  pg: Column;
  /** Sorts by bytes in PostgreSQL too (`COLLATE "C"`), as SQLite's BINARY collation does. */
  text: boolean;
}

export interface CopyTable {
  name: string;
  sqlite: SQLiteTable;
  pg: PgTable;
  columns: CopyColumn[];
  /** The primary key's SQL column names: rows are read, hashed and compared in this order. */
  primaryKey: string[];
}

export interface DeferredForeignKey {
  table: string;
  /** The constraint's name in PostgreSQL (drizzle's, as the migration created it). */
  constraint: string;
}

export interface CopyPlan {
  /** Parents before children. */
  tables: CopyTable[];
  /** Foreign keys whose parent row may come later in the copy: checked at the end instead. */
  deferred: DeferredForeignKey[];
}

/** The table pairs by export name: both schemas export every table under the same name. */
export function pairTables(sqliteTables: Record<string, unknown> = sqliteSchema, pgTables: Record<string, unknown> = pgSchema): CopyTable[] {
  const out: CopyTable[] = [];
  for (const [exportName, sqlite] of Object.entries(sqliteTables)) {
    if (!is(sqlite, SQLiteTable)) continue;
    const pg = pgTables[exportName];
    const name = sqliteTableConfig(sqlite).name;
    if (!is(pg, PgTable) || pgTableConfig(pg).name !== name) throw new Error(`${name} has no table in src/db/pg/schema.ts: run npm run db:pg-schema`);
    const pgColumns = getTableColumns(pg);
    const columns = Object.entries(getTableColumns(sqlite)).map(([key, column]): CopyColumn => {
      const pgColumn = pgColumns[key];
      if (!pgColumn || pgColumn.name !== column.name) throw new Error(`${name}.${column.name} has no column in src/db/pg/schema.ts: run npm run db:pg-schema`);
      return { name: column.name, sqlite: column, pg: pgColumn, text: pgColumn.getSQLType() === 'text' };
    });
    const config = sqliteTableConfig(sqlite);
    const primaryKey = config.primaryKeys[0]?.columns.map((c) => c.name) ?? columns.filter((c) => c.sqlite.primary).map((c) => c.name);
    if (primaryKey.length === 0) throw new Error(`${name} has no primary key: the copy compares rows in primary-key order`);
    out.push({ name, sqlite, pg, columns, primaryKey });
  }
  return out;
}

/**
 * Orders tables parents first (Kahn's algorithm, ties by name). When only tables in a cycle
 * are left, the first by name goes next; every foreign key pointing at a table not yet
 * copied (that one's, and any self-reference) is deferred.
 */
export function orderTables(tables: readonly CopyTable[]): CopyPlan {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const parents = new Map<string, { constraint: string; parent: string }[]>();
  for (const table of tables) {
    parents.set(
      table.name,
      pgTableConfig(table.pg).foreignKeys.map((fk) => ({ constraint: fk.getName(), parent: pgTableConfig(fk.reference().foreignTable).name })),
    );
  }
  const placed = new Set<string>();
  const ordered: CopyTable[] = [];
  const deferred: DeferredForeignKey[] = [];
  const remaining = [...byName.keys()].sort();
  while (remaining.length > 0) {
    const ready = remaining.find((name) => parents.get(name)!.every((fk) => fk.parent === name || placed.has(fk.parent) || !byName.has(fk.parent)));
    const next = ready ?? remaining[0]!;
    for (const fk of parents.get(next)!) {
      if (byName.has(fk.parent) && !placed.has(fk.parent)) deferred.push({ table: next, constraint: fk.constraint });
    }
    placed.add(next);
    ordered.push(byName.get(next)!);
    remaining.splice(remaining.indexOf(next), 1);
  }
  return { tables: ordered, deferred };
}

/** Casebook's tables, parents first. */
export function copyPlan(): CopyPlan {
  return orderTables(pairTables());
}

/**
 * A SQLite row (better-sqlite3's raw values, in `columns` order) as the JavaScript values
 * drizzle reads from it (what the checksum hashes) and as the parameters PostgreSQL's
 * columns take (a JSON `null` stays jsonb's `null`, not SQL NULL).
 */
export function convertRow(columns: readonly CopyColumn[], raw: readonly unknown[]): { values: unknown[]; params: unknown[] } {
  const values = new Array<unknown>(columns.length);
  const params = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const value = raw[i];
    if (value === null || value === undefined) {
      values[i] = null;
      params[i] = null;
    } else {
      const column = columns[i]!;
      values[i] = column.sqlite.mapFromDriverValue(value);
      params[i] = column.pg.mapToDriverValue(values[i]);
    }
  }
  return { values, params };
}

/** A row node-postgres read (in `columns` order) as the JavaScript values drizzle reads from it. */
export function readPostgresRow(columns: readonly CopyColumn[], raw: readonly unknown[]): unknown[] {
  return columns.map((column, i) => (raw[i] === null || raw[i] === undefined ? null : column.pg.mapFromDriverValue(raw[i])));
}
