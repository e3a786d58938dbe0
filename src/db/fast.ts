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

type StatementCache = WeakMap<object, Map<string, Statement>>;

const statements: StatementCache = new WeakMap();
const rawStatements: StatementCache = new WeakMap();

/** `sql` prepared on `db` once (in raw mode when `raw`) and kept in `caches` per connection by its text. */
function cached(caches: StatementCache, db: Db, sql: string, raw: boolean): Statement {
  let cache = caches.get(db.$client);
  if (!cache) {
    cache = new Map();
    caches.set(db.$client, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = raw ? db.$client.prepare(sql).raw(true) : db.$client.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}

/** A prepared statement, cached per connection by its SQL text. */
export function statement<P extends unknown[] = unknown[], R = unknown>(db: Db, sql: string): Statement<P, R> {
  return cached(statements, db, sql, false) as unknown as Statement<P, R>;
}

/**
 * Runs `read` — synchronous statements on `db` — in one read transaction when none is open, and
 * returns what it returns. In WAL mode a statement outside a transaction begins and ends a
 * transaction of its own: on these machines ~6 µs of system calls each (a lock and an unlock
 * of the WAL index, a stat of the database file); a staff row by id takes 6.7 µs alone and
 * 0.7 µs inside a transaction. So a read of several statements — a case's view parts, a
 * session and its account — is cheaper in one (docs/performance.md, "twenty-second session":
 * reads outside a transaction), and sees one snapshot besides. Inside a transaction already
 * open (a unit of a group commit, a read of the storage port) it just runs there. `read` must
 * not await: the transaction ends when it returns.
 */
export function oneSnapshot<T>(db: Db, read: () => T): T {
  const sqlite = db.$client;
  if (sqlite.inTransaction) return read();
  statement(db, 'BEGIN DEFERRED').run();
  try {
    return read();
  } finally {
    if (sqlite.inTransaction) statement(db, 'COMMIT').run();
  }
}

/**
 * A statement with its row limit written into the SQL (`LIMIT n`), one per limit, cached per
 * connection. Not `LIMIT ?`: SQLite (3.47 on) plans with a bound LIMIT's value and so marks the
 * statement to be prepared again whenever that parameter is bound, and better-sqlite3 binds
 * every parameter on every call: a `LIMIT ?` statement is re-prepared on every execution
 * (~6 µs on a hot cache, 30–45 µs in a request; the outbox's two "anything due?" reads were
 * ~90 µs of every intake committed alone).
 */
export function withLimit<P extends unknown[] = unknown[], R = unknown>(db: Db, sql: string): (limit: number) => Statement<P, R> {
  const byLimit = new Map<number, Statement<P, R>>();
  return (limit) => {
    let stmt = byLimit.get(limit);
    if (!stmt) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`not a row limit: ${limit}`);
      stmt = statement<P, R>(db, `${sql} LIMIT ${limit}`);
      byLimit.set(limit, stmt);
    }
    return stmt;
  };
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

/** The INSERT of every column of a table, by its mapper (built once, not per row). */
const wholeInserts = new WeakMap<RowMapper<unknown>, string>();

/** Inserts a whole row as it is (every column, the id too), returning nothing. */
export function insertWhole<TTable extends Table>(db: Db, table: TTable, row: TTable['$inferSelect']): void {
  const m = rowMapper(table);
  let sql = wholeInserts.get(m as RowMapper<unknown>);
  if (sql === undefined) {
    sql = `INSERT INTO ${m.table} (${m.columns.join(', ')}) VALUES (${m.columns.map(() => '?').join(', ')})`;
    wholeInserts.set(m as RowMapper<unknown>, sql);
  }
  const values: unknown[] = new Array(m.keys.length);
  for (let i = 0; i < m.keys.length; i++) values[i] = m.toDriver(m.keys[i]!, (row as Record<string, unknown>)[m.keys[i]!]);
  statement(db, sql).run(values);
}

/** Rows per multi-row INSERT statement. */
export const ROWS_PER_INSERT = 64;

/** Multi-row INSERT texts by column list (the callers' constant arrays) and row count. */
const manyInserts = new WeakMap<readonly string[], Map<string, string>>();

function manyInsertSql(table: string, columns: readonly string[], count: number): string {
  let byTable = manyInserts.get(columns);
  if (!byTable) {
    byTable = new Map();
    manyInserts.set(columns, byTable);
  }
  const key = `${table} ${count}`;
  let sql = byTable.get(key);
  if (sql === undefined) {
    const one = `(${columns.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${new Array<string>(count).fill(one).join(', ')}`;
    byTable.set(key, sql);
  }
  return sql;
}

/**
 * Inserts many rows (driver values, in `columns` order) with one statement per 64 rows. Pass
 * the same `columns` array each time (a constant): the statement's text is kept with it.
 * Returns the row id of the last row inserted (null for no rows).
 */
export function insertMany(db: Db, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): number | null {
  let last: number | null = null;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = i === 0 && rows.length <= ROWS_PER_INSERT ? rows : rows.slice(i, i + ROWS_PER_INSERT);
    last = Number(statement(db, manyInsertSql(table, columns, chunk.length)).run(flatten(chunk)).lastInsertRowid);
  }
  return last;
}

/**
 * The rows' values one after the other, as a multi-row INSERT binds them. Not `rows.flat()`:
 * V8's generic `flat` took 5.5–10 µs for 9 rows of 8 values where this loop takes 0.3, and was
 * 2.3 % of an intake's main thread at c=50 (docs/performance.md, twelfth session).
 */
export function flatten(rows: readonly (readonly unknown[])[]): unknown[] {
  const values: unknown[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (let j = 0; j < row.length; j++) values.push(row[j]);
  }
  return values;
}

/** Selects one row by its integer primary key `id`. */
export function rowById<TTable extends Table>(db: Db, table: TTable, id: number): TTable['$inferSelect'] | undefined {
  return tableRows(db, table, `SELECT * FROM ${rowMapper(table).table} WHERE id = ?`).get(id);
}

/** `statement` in raw mode (rows as arrays, in the SELECT's column order), cached apart from it. */
export function rawStatement<P extends unknown[] = unknown[]>(db: Db, sql: string): Statement<P, unknown[]> {
  return cached(rawStatements, db, sql, true) as unknown as Statement<P, unknown[]>;
}

/** A table's rows read by one statement (`tableRows`). */
export interface TableRows<Row> {
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
  /** Row by row, for a reader that may stop early (the statement is reset when it does). */
  iterate(...params: unknown[]): IterableIterator<Row>;
}

const tableReaders = new WeakMap<Statement, TableRows<unknown>>();
const objectReaders = new WeakMap<Statement, TableRows<unknown>>();

/**
 * The rows of `sql` as objects keyed by the SELECT's column names, as better-sqlite3 gives
 * them, but read as arrays and named here: a quarter to a third less CPU for rows of several
 * columns (a queue's 20 candidates 21 → 15 µs, 50 inbox rows 72 → 45 µs: `bench/rows.bench.ts`,
 * docs/performance.md "Rows read as arrays"), the same for a single value.
 */
export function objectRows<R>(db: Db, sql: string): TableRows<R> {
  const stmt = rawStatement(db, sql);
  let reader = objectReaders.get(stmt);
  if (!reader) {
    reader = namedReader(stmt);
    objectReaders.set(stmt, reader);
  }
  return reader as TableRows<R>;
}

function namedReader(stmt: Statement<unknown[], unknown[]>): TableRows<unknown> {
  let names = stmt.columns().map((c) => c.name);
  const fromValues = (values: unknown[]): unknown => {
    // A `*` statement SQLite prepared again after a schema change (a migration) may have other columns.
    if (values.length !== names.length) names = stmt.columns().map((c) => c.name);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = values[i];
    return out;
  };
  return readerOf(stmt, fromValues);
}

/**
 * The rows of `sql`, a SELECT of `table`'s columns (`*`, or some of them in any order), mapped
 * to the schema's types as `rowMapper(table).fromRow` maps them, with the same keys in the same
 * order (one hidden class for a table's rows, however read). Read as arrays: better-sqlite3
 * builds an object row by setting each column by its name, which costs more than reading the
 * same row as an array and mapping it here (a case 12.9 → 9.6 µs, its SLA timers 11.4 → 7.2 µs:
 * `bench/rows.bench.ts`).
 */
export function tableRows<TTable extends Table>(db: Db, table: TTable, sql: string): TableRows<TTable['$inferSelect']> {
  const stmt = rawStatement(db, sql);
  let reader = tableReaders.get(stmt);
  if (!reader) {
    reader = arrayReader(stmt, table);
    tableReaders.set(stmt, reader);
  }
  return reader as TableRows<TTable['$inferSelect']>;
}

function arrayReader(stmt: Statement<unknown[], unknown[]>, table: Table): TableRows<unknown> {
  const m = rowMapper(table);
  let names: string[] = [];
  // For each of the table's keys (in the mapper's order): where the SELECT has its column (-1: not selected: null, as fromRow gives it).
  let at: number[] = [];
  const locate = () => {
    names = stmt.columns().map((c) => c.name);
    at = m.columns.map((name) => names.indexOf(name));
  };
  locate();
  const columns = getTableColumns(table) as unknown as Record<string, ColumnLike>;
  const converters = m.keys.map((key) => {
    const column = columns[key]!;
    return (value: unknown) => column.mapFromDriverValue(value);
  });
  const fromValues = (values: unknown[]): unknown => {
    // A `*` statement SQLite prepared again after a schema change (a migration) may have other columns.
    if (values.length !== names.length) locate();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < at.length; i++) {
      const v = at[i]! < 0 ? null : values[at[i]!];
      out[m.keys[i]!] = v === null || v === undefined ? null : converters[i]!(v);
    }
    return out;
  };
  return readerOf(stmt, fromValues);
}

function readerOf(stmt: Statement<unknown[], unknown[]>, fromValues: (values: unknown[]) => unknown): TableRows<unknown> {
  return {
    get: (...params) => {
      const values = stmt.get(...params);
      return values === undefined ? undefined : fromValues(values);
    },
    all: (...params) => stmt.all(...params).map(fromValues),
    *iterate(...params) {
      for (const values of stmt.iterate(...params)) yield fromValues(values);
    },
  };
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
