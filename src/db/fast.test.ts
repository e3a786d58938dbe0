import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Db } from './client.js';
import { statement, withLimit } from './fast.js';

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
