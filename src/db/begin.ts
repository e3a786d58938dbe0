/**
 * BEGIN IMMEDIATE that waits the connection's busy timeout (DATABASE_BUSY_TIMEOUT_MS) by the
 * clock. SQLite's own busy handler counts the time it meant to sleep, not the time that
 * passed: a signal cuts each of its sleeps short (`usleep` returns early), and a CPU profiler
 * (`node --cpu-prof`, the inspector, an APM agent sampling the process) signals the thread
 * every few hundred microseconds. Under one, the 5 s budget ran out in ~20 ms, and a write
 * that met the WAL checkpointer's brief hold (checkpointer.ts) failed with SQLITE_BUSY: a
 * single client's intakes got 503 DATABASE_BUSY, 1 to 18 in 4,000–6,000 (2026-12-04). Here the
 * refusal is tried again, blocking as the busy handler does, until the timeout has really
 * passed; only then does SQLITE_BUSY reach the caller.
 */
import type { Database as Sqlite } from 'better-sqlite3';
import type { Db } from './client.js';
import { statement } from './fast.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** SQLite's busy codes (the lock is held elsewhere; trying again may succeed). */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` (which begins a write transaction first thing) until it succeeds, fails
 * otherwise, or fails busy after the connection's busy timeout has passed by the clock.
 * `retryable` says whether a failure came before the transaction began (never after: the work
 * in it is not repeated).
 */
export function whileBusy<T>(sqlite: Sqlite, attempt: () => T, retryable: () => boolean = () => true, now: () => number = () => performance.now()): T {
  const started = now();
  let timeoutMs: number | null = null;
  for (let tries = 1; ; tries++) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusyError(error) || sqlite.inTransaction || !retryable()) throw error;
      timeoutMs ??= Number(sqlite.pragma('busy_timeout', { simple: true }));
      const waited = now() - started;
      if (waited >= timeoutMs) throw error;
      // SQLite's busy handler has just slept; a short pause more, growing to 10 ms, keeps a refusal cheap.
      Atomics.wait(pause, 0, 0, Math.min(10, tries, timeoutMs - waited));
    }
  }
}

/** `BEGIN IMMEDIATE` on `db`, waiting for the write lock as long as its busy timeout says (`whileBusy`). */
export function beginImmediate(db: Db): void {
  const begin = statement(db, 'BEGIN IMMEDIATE');
  whileBusy(db.$client, () => begin.run());
}

/** `fn` with the connection's busy timeout set to `ms` meanwhile (how long SQLite waits for a lock), then put back. */
export function withBusyTimeout<T>(sqlite: Sqlite, ms: number, fn: () => T): T {
  const previous = Number(sqlite.pragma('busy_timeout', { simple: true }));
  sqlite.pragma(`busy_timeout = ${ms}`);
  try {
    return fn();
  } finally {
    sqlite.pragma(`busy_timeout = ${previous}`);
  }
}
