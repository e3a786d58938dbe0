/**
 * Database errors the same way on both dialects. drizzle wraps a failed query in a
 * DrizzleQueryError whose `cause` is the driver's error: better-sqlite3's SqliteError
 * (`code` SQLITE_CONSTRAINT_UNIQUE…) or node-postgres's DatabaseError (`code` the SQLSTATE).
 */
import { DrizzleQueryError } from 'drizzle-orm';

/**
 * drizzle's query error says "Failed query: <SQL>\nparams: <values>" (on PostgreSQL), and the
 * values are what the statement carried — a customer's address, a mail's text. This message
 * says the SQL, how many values it had and the database's own reason instead.
 */
export function queryErrorMessage(error: DrizzleQueryError): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `Failed query: ${error.query} (${error.params.length} values, not logged)${cause}`;
}

/**
 * `error` with the values out of its message and stack, if it is drizzle's query error: every
 * error leaving the PostgreSQL store goes through here (store/pg.ts), so no log line, API
 * problem or status page made from its message can carry them. Anything else as it is.
 */
export function withoutQueryValues(error: unknown): unknown {
  if (error instanceof DrizzleQueryError && error.message.startsWith('Failed query: ') && error.message.includes('\nparams: ')) {
    const message = queryErrorMessage(error);
    error.stack = error.stack?.replace(error.message, message);
    error.message = message;
  }
  return error;
}

/** The driver's error under drizzle's wrapper (or `error` itself). */
export function driverError(error: unknown): { code?: unknown; constraint?: unknown; message?: unknown } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return current as { code?: unknown };
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The error's code: SQLSTATE on PostgreSQL ('23505'), SQLite's extended code ('SQLITE_CONSTRAINT_UNIQUE'). */
export function sqlState(error: unknown): string | undefined {
  const code = driverError(error)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A unique (or primary key) constraint refused the write, on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = sqlState(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** PostgreSQL asks to run the transaction again: serialization failure (40001) or deadlock (40P01). */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40001' || code === '40P01';
}
