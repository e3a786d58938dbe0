import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { databaseFault, isRetryable, isUniqueViolation, isUnreachableDatabaseError, markUnreachable, sqlState } from './errors.js';

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

describe('databaseFault: the one classification of the API problems and the dry-run jobs', () => {
  it.each([
    ['SQLITE_BUSY', 'busy'],
    ['SQLITE_BUSY_SNAPSHOT', 'busy'],
    ['SQLITE_LOCKED', 'busy'],
    ['SQLITE_FULL', 'storageFull'],
    ['ENOSPC', 'storageFull'],
    ['EDQUOT', 'storageFull'],
    ['SQLITE_READONLY', 'unavailable'],
    ['SQLITE_IOERR_WRITE', 'unavailable'],
    ['SQLITE_CORRUPT', 'unavailable'],
    ['SQLITE_NOTADB', 'unavailable'],
    ['57014', 'timeout'],
    ['SQLITE_CONSTRAINT_UNIQUE', null],
    ['23505', null],
    ['40001', null],
  ])('%s → %s, bare or wrapped by drizzle', (code, fault) => {
    for (const error of [Object.assign(new Error('x'), { code }), wrapped(code)]) expect(databaseFault(error)).toBe(fault);
  });

  it('knows PostgreSQL out of reach once the store marked it, a connect timeout by its message, and nothing else', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(databaseFault(reset)).toBeNull(); // a socket error of anything (a mail server…)
    expect(databaseFault(markUnreachable(reset))).toBe('unreachable');
    expect(databaseFault(new Error('timeout exceeded when trying to connect'))).toBe('timeout');
    for (const error of [new Error('boom'), 'text', null, undefined]) expect(databaseFault(error)).toBeNull();
  });
});
