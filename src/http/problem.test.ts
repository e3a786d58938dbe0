/** What the HTTP layer answers for a database out of reach, and for the same error from elsewhere. */
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { markUnreachable } from '../db/store/errors.js';
import { asDomainError } from './problem.js';

const socket = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('asDomainError', () => {
  it('a database error the store marked unreachable: 503 DATABASE_UNAVAILABLE with a retry', () => {
    for (const error of [socket('ECONNREFUSED'), new DrizzleQueryError('select 1', [], socket('ECONNRESET'))]) {
      const domain = asDomainError(markUnreachable(error));
      expect(domain.code).toBe('DATABASE_UNAVAILABLE');
      expect(domain.details).toEqual({ retryAfterSeconds: 5 });
    }
  });

  it('a socket error that did not leave the store (a mail server, a webhook target) stays a 500', () => {
    expect(asDomainError(socket('ECONNREFUSED')).code).toBe('INTERNAL');
  });
});
