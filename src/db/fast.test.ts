import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Db } from './client.js';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flatten, insertMany, objectRows, oneSnapshot, ROWS_PER_INSERT, rowById, rowMapper, statement, tableRows, withLimit } from './fast.js';

let db: Db;
beforeEach(() => {
  const sqlite = new Database(':memory:');
  db = drizzle(sqlite) as unknown as Db;
  sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES (\'a\'), (\'b\'), (\'c\'), (\'d\')');
});
afterEach(() => db.$client.close());

describe('withLimit', () => {
  it('writes the limit into the statement, one cached statement per limit', () => {
    const rows = withLimit<[number], { id: number }>(db, 'SELECT id FROM t WHERE id > ? ORDER BY id');
    expect(rows(2).source).toBe('SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 2');
    expect(rows(2).all(1)).toEqual([{ id: 2 }, { id: 3 }]);
    expect(rows(1).all(1)).toEqual([{ id: 2 }]);
    expect(rows(0).all(0)).toEqual([]);
    expect(rows(2)).toBe(rows(2));
    // The per-connection statement cache holds it under its SQL text.
    expect(statement(db, 'SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 2')).toBe(rows(2));
  });

  it('refuses anything but a whole non-negative number (never written into SQL)', () => {
    const rows = withLimit(db, 'SELECT id FROM t');
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => rows(bad)).toThrow(RangeError);
  });
});

describe('rows read as arrays', () => {
  // The table's columns in another order than the schema's keys, as migrations that add columns leave them.
  const things = sqliteTable('things', {
    id: integer('id').primaryKey(),
    name: text('name').notNull(),
    tags: text('tags', { mode: 'json' }).$type<string[]>(),
    active: integer('active', { mode: 'boolean' }).notNull(),
  });
  beforeEach(() => {
    db.$client.exec(`CREATE TABLE things (active INTEGER NOT NULL, tags TEXT, id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      INSERT INTO things (id, name, tags, active) VALUES (1, 'one', '["a","b"]', 1), (2, 'two', NULL, 0)`);
  });

  it('maps a table\'s rows as fromRow maps the object rows, keys in the same order', () => {
    const byObject = (db.$client.prepare('SELECT * FROM things ORDER BY id').all() as Record<string, unknown>[]).map((r) => rowMapper(things).fromRow(r));
    const byArray = tableRows(db, things, 'SELECT * FROM things ORDER BY id').all();
    expect(byArray).toEqual([
      { id: 1, name: 'one', tags: ['a', 'b'], active: true },
      { id: 2, name: 'two', tags: null, active: false },
    ]);
    expect(byArray).toEqual(byObject);
    expect(byArray.map((r) => Object.keys(r))).toEqual(byObject.map((r) => Object.keys(r)));
    expect(rowById(db, things, 2)).toEqual(byObject[1]);
    expect(rowById(db, things, 3)).toBeUndefined();
  });

  it('gives null for a column the SELECT leaves out, as fromRow does', () => {
    expect(tableRows(db, things, 'SELECT name, id FROM things WHERE id = ?').get(1)).toEqual({ id: 1, name: 'one', tags: null, active: null });
  });

  it('names object rows by the SELECT\'s columns, as better-sqlite3 does', () => {
    const sql = 'SELECT id, name AS label, tags FROM things ORDER BY id';
    expect(objectRows(db, sql).all()).toEqual(db.$client.prepare(sql).all());
    expect(objectRows(db, 'SELECT count(*) AS n FROM things').get()).toEqual({ n: 2 });
    expect(objectRows(db, 'SELECT id FROM things WHERE id = ?').get(9)).toBeUndefined();
  });

  it('iterates row by row, and a reader that stops early leaves the connection free', () => {
    const rows = objectRows<{ id: number; name: string }>(db, 'SELECT id, name FROM things ORDER BY id');
    for (const row of rows.iterate()) {
      expect(row).toEqual({ id: 1, name: 'one' });
      break;
    }
    db.$client.exec("BEGIN IMMEDIATE; INSERT INTO things (id, name, active) VALUES (3, 'three', 1); COMMIT");
    expect([...rows.iterate()].map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  it('follows a `*` statement SQLite prepared again after the table changed', () => {
    const rows = objectRows<Record<string, unknown>>(db, 'SELECT * FROM things WHERE id = ?');
    const mapped = tableRows(db, things, 'SELECT * FROM things WHERE id = ?');
    expect(rows.get(1)).toEqual({ active: 1, tags: '["a","b"]', id: 1, name: 'one' });
    db.$client.exec("ALTER TABLE things ADD COLUMN note TEXT DEFAULT 'n'");
    expect(rows.get(1)).toEqual({ active: 1, tags: '["a","b"]', id: 1, name: 'one', note: 'n' });
    expect(mapped.get(1)).toEqual({ id: 1, name: 'one', tags: ['a', 'b'], active: true });
  });
});

describe('insertMany', () => {
  it('binds the rows\' values in order, nulls and all, in statements of ROWS_PER_INSERT rows, and answers the last row id', () => {
    db.$client.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)');
    const rows = Array.from({ length: ROWS_PER_INSERT * 2 + 3 }, (_, i) => [`a${i}`, i % 3 === 0 ? null : i, i % 2 ? 'odd' : null]);
    expect(insertMany(db, 'm', ['a', 'b', 'c'], rows)).toBe(rows.length);
    expect(db.$client.prepare('SELECT a, b, c FROM m ORDER BY id').raw().all()).toEqual(rows);
    expect(flatten([])).toEqual([]);
    expect(flatten([[1, null], [], [undefined, 'x']])).toEqual([1, null, undefined, 'x']);
  });
});

describe('oneSnapshot', () => {
  it('runs the reads in one read transaction, ended when they return or throw', () => {
    const sqlite = db.$client;
    const count = statement<[], { n: number }>(db, 'SELECT count(*) AS n FROM t');
    expect(oneSnapshot(db, () => [sqlite.inTransaction, count.get()!.n])).toEqual([true, 4]);
    expect(sqlite.inTransaction).toBe(false);
    expect(() =>
      oneSnapshot(db, () => {
        count.get();
        throw new Error('a read failed');
      }),
    ).toThrow('a read failed');
    expect(sqlite.inTransaction).toBe(false);
  });

  it('inside a transaction already open, runs there and leaves it open', () => {
    const sqlite = db.$client;
    sqlite.exec('BEGIN IMMEDIATE');
    sqlite.exec("INSERT INTO t (v) VALUES ('e')");
    expect(oneSnapshot(db, () => statement<[], { n: number }>(db, 'SELECT count(*) AS n FROM t').get()!.n)).toBe(5);
    expect(sqlite.inTransaction).toBe(true);
    sqlite.exec('ROLLBACK');
    expect(statement<[], { n: number }>(db, 'SELECT count(*) AS n FROM t').get()!.n).toBe(4);
  });

  it('its statements see one snapshot: a commit by another connection between them is not seen (each alone would see it)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-snapshot-'));
    const file = path.join(dir, 'db.sqlite');
    const main = new Database(file);
    const other = new Database(file);
    try {
      main.pragma('journal_mode = WAL');
      main.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a')");
      const fileDb = drizzle(main) as unknown as Db;
      const count = () => statement<[], { n: number }>(fileDb, 'SELECT count(*) AS n FROM t').get()!.n;
      const seen = oneSnapshot(fileDb, () => {
        const before = count();
        other.exec("INSERT INTO t (v) VALUES ('b')");
        return [before, count()];
      });
      expect(seen).toEqual([1, 1]);
      expect(count()).toBe(2);
      const alone = [count(), (other.exec("INSERT INTO t (v) VALUES ('c')"), count())];
      expect(alone).toEqual([2, 3]);
    } finally {
      main.close();
      other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
