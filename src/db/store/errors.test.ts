import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { isRetryable, isUniqueViolation, isUnreachableDatabaseError, markUnreachable, sqlState } from './errors.js';

/** A driver error as drizzle throws it: wrapped, the driver's error as `cause`. */
const wrapped = (code: string) => new DrizzleQueryError('INSERT …', [], Object.assign(new Error('driver'), { code }));

describe('database errors on both dialects', () => {
  it.each([
    ['23505', true, false],
    ['SQLITE_CONSTRAINT_UNIQUE', true, false],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', true, false],
    ['SQLITE_CONSTRAINT_FOREIGNKEY', false, false],
    ['23503', false, false],
    ['40001', false, true],
    ['40P01', false, true],
    ['SQLITE_BUSY', false, false],
  ])('%s: unique violation %s, retryable %s — bare or wrapped by drizzle', (code, unique, retryable) => {
    for (const error of [Object.assign(new Error('x'), { code }), wrapped(code)]) {
      expect(sqlState(error)).toBe(code);
      expect(isUniqueViolation(error)).toBe(unique);
      expect(isRetryable(error)).toBe(retryable);
    }
  });

  it('finds no code where there is none', () => {
    for (const error of [new Error('plain'), 'text', null, undefined, { code: 42 }]) {
      expect(sqlState(error)).toBeUndefined();
      expect(isUniqueViolation(error)).toBe(false);
    }
  });
});

describe('a PostgreSQL database out of reach', () => {
  const socket = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
  const message = (text: string) => new DrizzleQueryError('begin', [], new Error(text));

  it.each([
    ['the server stopping (57P01), wrapped', () => wrapped('57P01')],
    ['a crash (57P02)', () => wrapped('57P02')],
    ['starting up or in recovery (57P03)', () => wrapped('57P03')],
    ['too many connections (53300)', () => wrapped('53300')],
    ['a connection exception (08006)', () => wrapped('08006')],
    ['refused, bare (pool.connect)', () => socket('ECONNREFUSED')],
    ['reset, wrapped', () => new DrizzleQueryError('select 1', [], socket('ECONNRESET'))],
    ['node-postgres: terminated unexpectedly', () => message('Connection terminated unexpectedly')],
    ['node-postgres: not queryable', () => message('Client has encountered a connection error and is not queryable')],
    ['node-postgres: connect timeout', () => new Error('timeout exceeded when trying to connect')],
  ])('%s: marked as it leaves the store (the HTTP layer then answers 503: src/http/problem.test.ts)', (_, make) => {
    const error = make();
    expect(isUnreachableDatabaseError(error)).toBe(false); // not before the store marks it
    expect(markUnreachable(markUnreachable(error))).toBe(error);
    expect(isUnreachableDatabaseError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', () => wrapped('23505')],
    ['a serialization failure', () => wrapped('40001')],
    ['an unknown table', () => wrapped('42P01')],
    ['SQLite busy', () => wrapped('SQLITE_BUSY')],
    ['a plain error', () => new Error('boom')],
  ])('%s: not marked', (_, make) => {
    const error = make();
    expect(isUnreachableDatabaseError(markUnreachable(error))).toBe(false);
  });

});
