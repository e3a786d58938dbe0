import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { isRetryable, isUniqueViolation, sqlState } from './errors.js';

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
