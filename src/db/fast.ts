/**
 * Hot paths (intake, every case change) use plain prepared statements: drizzle's query
 * builder builds the SQL and better-sqlite3 re-prepares it on every call, which costs more
 * than the work itself. Statements are prepared once per connection and cached; rows are
 * mapped with the drizzle columns' own converters (JSON, booleans), so the types stay the
 * schema's types.
 */
import type { Statement } from 'better-sqlite3';
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { Db } from './client.js';

const statements = new WeakMap<object, Map<string, Statement>>();

/** A prepared statement, cached per connection by its SQL text. */
export function statement<P extends unknown[] = unknown[], R = unknown>(db: Db, sql: string): Statement<P, R> {
  let cache = statements.get(db.$client);
  if (!cache) {
    cache = new Map();
    statements.set(db.$client, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.$client.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt as unknown as Statement<P, R>;
}

interface ColumnLike {
  name: string;
  mapToDriverValue(value: unknown): unknown;
  mapFromDriverValue(value: unknown): unknown;
}

export interface RowMapper<T> {
  table: string;
  /** Object keys (camelCase) in column order. */
  keys: (keyof T & string)[];
  /** SQL column names in the same order. */
  columns: string[];
  fromRow(row: Record<string, unknown>): T;
  toDriver(key: keyof T & string, value: unknown): unknown;
}

const mappers = new WeakMap<Table, RowMapper<unknown>>();

export function rowMapper<TTable extends Table>(table: TTable): RowMapper<TTable['$inferSelect']> {
  const cached = mappers.get(table);
  if (cached) return cached as RowMapper<TTable['$inferSelect']>;
  const entries = Object.entries(getTableColumns(table)) as [string, ColumnLike][];
  const byKey = new Map(entries);
  const mapper: RowMapper<TTable['$inferSelect']> = {
    table: getTableName(table),
    keys: entries.map(([key]) => key) as RowMapper<TTable['$inferSelect']>['keys'],
    columns: entries.map(([, col]) => col.name),
    fromRow(row) {
      const out: Record<string, unknown> = {};
      for (const [key, col] of entries) {
        const v = row[col.name];
        out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
      }
      return out as TTable['$inferSelect'];
    },
    toDriver(key, value) {
      if (value === null || value === undefined) return null;
      return byKey.get(key)!.mapToDriverValue(value);
    },
  };
  mappers.set(table, mapper as RowMapper<unknown>);
  return mapper;
}

/** Inserts the given columns of a row and returns the stored row (defaults applied). */
export function insertRow<TTable extends Table>(db: Db, table: TTable, values: Partial<TTable['$inferInsert']>): TTable['$inferSelect'] {
  const m = rowMapper(table);
  const keys = m.keys.filter((k) => (values as Record<string, unknown>)[k] !== undefined);
  const columns = keys.map((k) => m.columns[m.keys.indexOf(k)]!);
  const sql = `INSERT INTO ${m.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING *`;
  const row = statement<unknown[], Record<string, unknown>>(db, sql).get(...keys.map((k) => m.toDriver(k, (values as Record<string, unknown>)[k])));
  return m.fromRow(row!);
}

/** Inserts a whole row as it is (every column, the id too), returning nothing. */
export function insertWhole<TTable extends Table>(db: Db, table: TTable, row: TTable['$inferSelect']): void {
  const m = rowMapper(table);
  const sql = `INSERT INTO ${m.table} (${m.columns.join(', ')}) VALUES (${m.columns.map(() => '?').join(', ')})`;
  statement(db, sql).run(...m.keys.map((k) => m.toDriver(k, (row as Record<string, unknown>)[k])));
}

/** Rows per multi-row INSERT statement. */
const ROWS_PER_INSERT = 64;

/** Inserts many rows (driver values, in `columns` order) with one statement per 64 rows. */
export function insertMany(db: Db, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const one = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${new Array<string>(chunk.length).fill(one).join(', ')}`;
    statement(db, sql).run(...chunk.flat());
  }
}

/** Selects one row by its integer primary key `id`. */
export function rowById<TTable extends Table>(db: Db, table: TTable, id: number): TTable['$inferSelect'] | undefined {
  const m = rowMapper(table);
  const row = statement<[number], Record<string, unknown>>(db, `SELECT * FROM ${m.table} WHERE id = ?`).get(id);
  return row ? m.fromRow(row) : undefined;
}

/** Memoises `make` per connection: for modules that prepare a group of statements once. */
export function perConnection<T>(make: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<object, T>();
  return (db) => {
    let value = cache.get(db.$client);
    if (value === undefined) {
      value = make(db);
      cache.set(db.$client, value);
    }
    return value;
  };
}

export interface RowUpdateOptions<K extends string> {
  /** Columns (object keys) left out of the SET list. */
  except: K[];
  /** Extra assignments after the columns, e.g. `version = ?`. */
  also?: string;
  /** The WHERE clause, e.g. `id = ?`. */
  where: string;
}

export interface RowUpdate<T> {
  /** `UPDATE <table> SET a = ?, b = ? …[, also] WHERE <where>`. */
  sql: string;
  /** Driver values for the column list, in order (append `also`'s and the WHERE parameters). */
  values(row: T): unknown[];
}

/** An UPDATE of every column of a row but `except`. */
export function rowUpdate<TTable extends Table>(
  table: TTable,
  options: RowUpdateOptions<keyof TTable['$inferSelect'] & string>,
): RowUpdate<TTable['$inferSelect']> {
  const m = rowMapper(table);
  const keys = m.keys.filter((k) => !options.except.includes(k));
  const set = [...keys.map((k) => `${m.columns[m.keys.indexOf(k)]} = ?`), ...(options.also ? [options.also] : [])].join(', ');
  return {
    sql: `UPDATE ${m.table} SET ${set} WHERE ${options.where}`,
    values: (row) => keys.map((k) => m.toDriver(k, (row as Record<string, unknown>)[k])),
  };
}
