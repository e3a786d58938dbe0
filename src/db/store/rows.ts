/**
 * Row statements written once for both dialects, for hot paths whose SQL is the same on both
 * (the case engine's reads and writes of cases, timeline, outbox, SLA timers, staff): on
 * SQLite they run fast.ts's cached prepared statements on the handle's connection, exactly as
 * before (synchronously; the caller awaits the settled result); on PostgreSQL the same SQL text
 * with its `?` parameter markers numbered, through the handle. Values are driver values of the
 * handle's tables (`q.tables.x`: `rowMapper` of that table maps them), so a row reads back as
 * the same JavaScript value on both.
 *
 * Only for SQL valid on both: booleans compared with TRUE/FALSE (SQLite reads them as 1/0), no
 * `INSERT OR IGNORE`, `json_extract`, `sqlite_sequence`. SQL that differs lives in a feature's
 * sqlite.ts / pg.ts pair.
 */
import { sql, type SQL, type Table } from 'drizzle-orm';
import { flatten, insertMany, insertRow, insertWhole, rowById, rowMapper, objectRows, rowUpdate, statement, tableRows, type RowUpdate, type RowUpdateOptions } from '../fast.js';
import { LONG_READS } from './long-reads.js';
import { breathe, sqliteOf } from './sqlite.js';
import type { Handle } from './store.js';

/** `text` split at its `?` parameter markers, kept per text. */
const pieces = new Map<string, SQL[]>();

/** The SQL text with its `?` parameter markers bound to `params` (PostgreSQL numbers them). */
export function bound(text: string, params: readonly unknown[]): SQL {
  let parts = pieces.get(text);
  if (!parts) {
    parts = text.split('?').map((part) => sql.raw(part));
    pieces.set(text, parts);
  }
  if (parts.length - 1 !== params.length) throw new RangeError(`${parts.length - 1} parameter markers, ${params.length} values: ${text}`);
  const chunks: SQL[] = [parts[0]!];
  for (let i = 0; i < params.length; i++) chunks.push(sql`${params[i]}`, parts[i + 1]!);
  return sql.join(chunks);
}

/** Runs a statement: the rows it changed. */
export async function run(q: Handle, text: string, params: readonly unknown[] = []): Promise<number> {
  if (q.dialect === 'sqlite') return statement(sqliteOf(q), text).run(...params).changes;
  return (await q.run(bound(text, params))).changes;
}

/** The rows of a query (column names as in the SQL: alias them on PostgreSQL's lower-cased names). */
export async function all<R>(q: Handle, text: string, params: readonly unknown[] = []): Promise<R[]> {
  if (q.dialect === 'sqlite') return objectRows<R>(sqliteOf(q), text).all(...params);
  return q.all<R>(bound(text, params));
}

/**
 * A long read's rows in (time, id) order, a page of LONG_READS.rowsPerPage at a time by keyset,
 * with a `breathe` between pages (`store.report`): `params(after, size)` are the statement's
 * parameters for the page after `after` (the last row's time and id; before the first, `[start
 * − 1, 0]`), `key` a row's time and id.
 */
export async function* keysetPages<R>(
  q: Handle,
  text: string,
  start: number,
  params: (after: readonly [number, number], size: number) => unknown[],
  key: (row: R) => readonly [number | string, number | string],
): AsyncGenerator<R[]> {
  let after: readonly [number, number] = [start - 1, 0];
  for (;;) {
    const size = LONG_READS.rowsPerPage;
    const page = await all<R>(q, text, params(after, size));
    yield page;
    if (page.length < size) return;
    const [at, id] = key(page[page.length - 1]!);
    after = [Number(at), Number(id)];
    await breathe(q);
  }
}

/** The first row of a query, or undefined. */
export async function get<R>(q: Handle, text: string, params: readonly unknown[] = []): Promise<R | undefined> {
  if (q.dialect === 'sqlite') return objectRows<R>(sqliteOf(q), text).get(...params);
  return q.get<R>(bound(text, params));
}

/** The first row of a query of `table`'s columns, mapped to its types (on SQLite read as an array: fast.ts `tableRows`). */
export async function tableRow<T extends Table>(q: Handle, table: T, text: string, params: readonly unknown[] = []): Promise<T['$inferSelect'] | undefined> {
  if (q.dialect === 'sqlite') return tableRows(sqliteOf(q), table, text).get(...params);
  const row = await q.get<Record<string, unknown>>(bound(text, params));
  return row ? rowMapper(table).fromRow(row) : undefined;
}

/** The rows of a query of `table`'s columns, mapped to its types; `locked` as `lockedRows` locks them. */
export async function tableRowsOf<T extends Table>(q: Handle, table: T, text: string, params: readonly unknown[] = [], { locked = false } = {}): Promise<T['$inferSelect'][]> {
  if (q.dialect === 'sqlite') return tableRows(sqliteOf(q), table, text).all(...params);
  const m = rowMapper(table);
  return (await q.all<Record<string, unknown>>(bound(locked ? `${text} FOR NO KEY UPDATE` : text, params))).map((row) => m.fromRow(row));
}

/** Rows to look up `IN (…)`, 500 at a time: under both dialects' limits on bound parameters. */
export function inChunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A JSON column read raw: text on SQLite, already parsed on PostgreSQL. */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** One row by its integer primary key `id`, mapped. */
export function byId<T extends Table>(q: Handle, table: T, id: number): Promise<T['$inferSelect'] | undefined> {
  return rowByIdOn(q, table, id, '');
}

/**
 * The row to change in this write transaction, locked until it ends. On PostgreSQL `FOR NO KEY
 * UPDATE` (the lock an UPDATE that keeps the key takes): a second transaction changing the same
 * row waits for this one and then reads what it committed, instead of both reading the same
 * version and one failing the optimistic check; rows that only refer to it (a timeline entry's
 * foreign key, FOR KEY SHARE) are not held up. On SQLite the write transaction already holds the
 * database's only write lock: a plain read.
 */
export function lockedById<T extends Table>(q: Handle, table: T, id: number): Promise<T['$inferSelect'] | undefined> {
  return rowByIdOn(q, table, id, ' FOR NO KEY UPDATE');
}

/**
 * The rows of a query, locked until the write transaction ends, as `lockedById` locks one: on
 * PostgreSQL the SELECT with `FOR NO KEY UPDATE` after it (a transaction changing one of them
 * waits for this one, and this one waits for a change under way and reads what it committed);
 * on SQLite, which runs one write transaction at a time, a plain read.
 */
export async function lockedRows<R>(q: Handle, text: string, params: readonly unknown[] = []): Promise<R[]> {
  if (q.dialect === 'sqlite') return all<R>(q, text, params);
  return q.all<R>(bound(`${text} FOR NO KEY UPDATE`, params));
}

/** SQLite: the cached statement; PostgreSQL: the row's SELECT with `lock` after it. */
async function rowByIdOn<T extends Table>(q: Handle, table: T, id: number, lock: string): Promise<T['$inferSelect'] | undefined> {
  if (q.dialect === 'sqlite') return rowById(sqliteOf(q), table, id);
  const m = rowMapper(table);
  const row = await q.get(bound(`SELECT * FROM ${m.table} WHERE id = ?${lock}`, [id]));
  return row ? m.fromRow(row) : undefined;
}

/** Inserts the given columns of a row and returns the stored row (defaults applied). */
export async function insertOne<T extends Table>(q: Handle, table: T, values: Partial<T['$inferInsert']>): Promise<T['$inferSelect']> {
  if (q.dialect === 'sqlite') return insertRow(sqliteOf(q), table, values);
  const m = rowMapper(table);
  const given = values as Record<string, unknown>;
  const keys = m.keys.filter((k) => given[k] !== undefined);
  const columns = keys.map((k) => m.columns[m.keys.indexOf(k)]!);
  const text = `INSERT INTO ${m.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING *`;
  const row = await q.get(bound(text, keys.map((k) => m.toDriver(k, given[k]))));
  return m.fromRow(row!);
}

/**
 * Inserts a row unless one with the same `key` (a column with a unique index) exists: the
 * stored row, or undefined. For a look-up-then-insert whose row another instance may be
 * inserting at the same moment: PostgreSQL's `ON CONFLICT DO NOTHING` waits for that
 * transaction and skips the row once it committed (the caller then reads it: under READ
 * COMMITTED its next statement sees it). On SQLite the one writer makes the caller's look-up
 * in the same transaction final, so it is `insertOne`'s cached statement.
 */
export async function insertOneUnlessExists<T extends Table>(q: Handle, table: T, values: Partial<T['$inferInsert']>, key: keyof T['$inferInsert'] & string): Promise<T['$inferSelect'] | undefined> {
  if (q.dialect === 'sqlite') return insertRow(sqliteOf(q), table, values);
  const m = rowMapper(table);
  const given = values as Record<string, unknown>;
  const keys = m.keys.filter((k) => given[k] !== undefined);
  const columns = keys.map((k) => m.columns[m.keys.indexOf(k)]!);
  const conflict = m.columns[m.keys.indexOf(key)]!;
  const text = `INSERT INTO ${m.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${conflict}) DO NOTHING RETURNING *`;
  const row = await q.get(bound(text, keys.map((k) => m.toDriver(k, given[k]))));
  return row ? m.fromRow(row) : undefined;
}

/**
 * Inserts many rows (driver values in `columns` order; pass the same constant `columns` array
 * each time). The ids of the rows inserted, in order, when `ids` is asked for: on SQLite from
 * the last row id of each multi-row INSERT (consecutive in one statement), on PostgreSQL by
 * RETURNING (a sequence shared with concurrent transactions hands out no such runs).
 */
export async function insertRows(q: Handle, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number[]> {
  if (rows.length === 0) return [];
  if (q.dialect === 'sqlite') {
    const db = sqliteOf(q);
    if (rows.length <= 64) {
      const last = insertMany(db, table, columns, rows)!;
      return rows.map((_, i) => last - rows.length + 1 + i);
    }
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += 64) {
      const chunk = rows.slice(i, i + 64);
      const last = insertMany(db, table, columns, chunk)!;
      for (let j = 0; j < chunk.length; j++) ids.push(last - chunk.length + 1 + j);
    }
    return ids;
  }
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 64) {
    const chunk = rows.slice(i, i + 64);
    const one = `(${columns.map(() => '?').join(', ')})`;
    const text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${new Array<string>(chunk.length).fill(one).join(', ')} RETURNING id`;
    for (const row of await q.all<{ id: number }>(bound(text, flatten(chunk)))) ids.push(Number(row.id));
  }
  return ids;
}

/** `rowUpdate` per table object (each dialect's table maps its own driver values). */
const updates = new WeakMap<Table, Map<object, RowUpdate<unknown>>>();

/**
 * An UPDATE of every column of a row but `except` for the handle's table (see fast.ts
 * rowUpdate); built once per table and `options` object (pass a constant).
 */
export function updateOf<T extends Table>(table: T, options: RowUpdateOptions<keyof T['$inferSelect'] & string>): RowUpdate<T['$inferSelect']> {
  let byOptions = updates.get(table);
  if (!byOptions) updates.set(table, (byOptions = new Map()));
  let update = byOptions.get(options);
  if (!update) byOptions.set(options, (update = rowUpdate(table, options) as RowUpdate<unknown>));
  return update as RowUpdate<T['$inferSelect']>;
}

/** Whole-row INSERTs (every column, the id too) per table object. */
const wholeInserts = new WeakMap<Table, string>();

/** Inserts a whole row as it is (every column, the id too), returning nothing. */
export async function insertWholeRow<T extends Table>(q: Handle, table: T, row: T['$inferSelect']): Promise<void> {
  if (q.dialect === 'sqlite') {
    insertWhole(sqliteOf(q), table, row);
    return;
  }
  const m = rowMapper(table);
  let text = wholeInserts.get(table);
  if (text === undefined) {
    text = `INSERT INTO ${m.table} (${m.columns.join(', ')}) VALUES (${m.columns.map(() => '?').join(', ')})`;
    wholeInserts.set(table, text);
  }
  await q.run(bound(text, m.keys.map((k) => m.toDriver(k, (row as Record<string, unknown>)[k]))));
}
