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

/** SQLSTATEs of a database that cannot be reached or is going away (not the statement's fault). */
const UNREACHABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping (or a backend was terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);
/** The socket's own failures (Node's `code`) when connecting to, or talking with, the server. */
const UNREACHABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** node-postgres's messages for a connection that ended or could not be had (they carry no code). */
const UNREACHABLE_MESSAGES = [
  /^Connection terminated/, // "Connection terminated unexpectedly", "… due to connection timeout"
  /^Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Client was closed and is not queryable/,
];

/**
 * PostgreSQL cannot be reached, or dropped the connection (the server restarting, the network,
 * a connection limit): a fault of the moment, not of the request — SQLSTATE class 08 and the
 * codes above, a socket error, or node-postgres's own messages, anywhere in the cause chain
 * under drizzle's wrapper. Never true for SQLite's errors. A socket error says nothing of
 * where it came from (a mail server, a webhook's target): the PostgreSQL store marks the
 * errors leaving it (`markUnreachable`), and callers ask `isUnreachableDatabaseError`.
 */
function isDatabaseUnreachable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_SOCKET_CODES.has(code))) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * PostgreSQL did not answer in time: a statement cut by statement_timeout (SQLSTATE 57014,
 * query_canceled: a lock held by another session, a stalled server — pg/client.ts `timeoutMs`)
 * or no pooled connection free within the checkout timeout (node-postgres's message, which
 * `isDatabaseUnreachable` counts too). Never true for SQLite's errors.
 */
export function isDatabaseTimeout(error: unknown): boolean {
  if (sqlState(error) === '57014') return true;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { message } = current as { message?: unknown };
    if (typeof message === 'string' && /^timeout exceeded when trying to connect/.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const UNREACHABLE = Symbol('casebook.databaseUnreachable');

/** The PostgreSQL store's errors on their way out: one that says the database cannot be reached is marked so. */
export function markUnreachable(error: unknown): unknown {
  if (error && typeof error === 'object' && !isUnreachableDatabaseError(error) && isDatabaseUnreachable(error)) {
    Object.defineProperty(error, UNREACHABLE, { value: true, enumerable: false });
  }
  return error;
}

/** The error left the PostgreSQL store because the database could not be reached (503, not 500). */
export function isUnreachableDatabaseError(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as { [UNREACHABLE]?: boolean })[UNREACHABLE]);
}

/**
 * What kind of database fault an error is — the one classification the API's problems
 * (src/http/problem.ts, `asDomainError`) and the dry-run jobs' stored errors
 * (src/rules/dry-run-jobs.ts, `errorKind`) put in their own words:
 * - `busy`: SQLite's file locked by another connection beyond the busy timeout
 *   (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED);
 * - `storageFull`: no space to grow a file (SQLITE_FULL…, ENOSPC, EDQUOT);
 * - `unavailable`: SQLite's file became read-only, damaged or unreadable after start-up
 *   (SQLITE_READONLY, _IOERR, _CANTOPEN, _CORRUPT, _NOTADB…);
 * - `timeout`: PostgreSQL did not answer in time (`isDatabaseTimeout`);
 * - `unreachable`: PostgreSQL cannot be reached (`isUnreachableDatabaseError`).
 * The code is read as `sqlState` does, under drizzle's wrapper too. Null: none of these (a
 * constraint, a bug, anything else).
 */
export type DatabaseFault = 'busy' | 'storageFull' | 'unavailable' | 'timeout' | 'unreachable';

export function databaseFault(error: unknown): DatabaseFault | null {
  const code = sqlState(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED') return 'busy';
  if (code !== undefined && isStorageFullCode(code)) return 'storageFull';
  if (code !== undefined && /^SQLITE_(READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB)/.test(code)) return 'unavailable';
  if (isDatabaseTimeout(error)) return 'timeout';
  if (isUnreachableDatabaseError(error)) return 'unreachable';
  return null;
}

/** SQLite could not grow a file (SQLITE_FULL, also `max_page_count`), or a file write found no space. */
export function isStorageFullCode(code: string): boolean {
  return code.startsWith('SQLITE_FULL') || code === 'ENOSPC' || code === 'EDQUOT';
}
