/**
 * The integrity check at start-up: `PRAGMA quick_check(1)` (every page and b-tree readable
 * and well formed; it stops at the first problem) in a worker thread on its own read-only
 * connection. Start-up waits for it at most `waitMs`: a damaged file found by then stops
 * start-up with one line. A large file may take longer (measured on the 1M-case bench store,
 * 695 MB: 1.1 s with the file in the page cache, 11 s from a cold disk), so the check then
 * goes on in the background while the server runs; if it finds damage, writes are refused
 * (`DATABASE_UNAVAILABLE`, faults.ts), `/health` answers 503 and one error line says so.
 */
import { Worker } from 'node:worker_threads';
import { DatabaseAccessError } from './access.js';
import type { Db } from './client.js';
import { faultsOf } from './faults.js';
import type { Logger } from '../logger.js';

export interface IntegrityResult {
  ok: boolean;
  /** quick_check's first line ("ok", or the first problem), or the error that stopped it. */
  detail: string;
  ms: number;
}

/** What start-up waits for the check by default before letting it finish in the background. */
export const INTEGRITY_WAIT_MS = 2000;

export function runQuickCheck(file: string): Promise<IntegrityResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./integrity-worker.js', import.meta.url), { workerData: { file } });
    let settled = false;
    worker.once('message', (m: { ok: boolean; detail: string }) => {
      settled = true;
      resolve({ ok: m.ok, detail: m.detail, ms: performance.now() - started });
    });
    worker.once('error', (error) => {
      if (!settled) resolve({ ok: false, detail: error.message, ms: performance.now() - started });
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) resolve({ ok: false, detail: `the check stopped (exit code ${code})`, ms: performance.now() - started });
      settled = true;
    });
  });
}

export function damagedFileError(file: string, detail: string): DatabaseAccessError {
  return new DatabaseAccessError(
    file,
    `has damaged pages (quick_check: ${detail.replace(/\s+/g, ' ').slice(0, 200)})`,
    `stop writing to it; restore the database from a backup (or try the sqlite3 shell's .recover into a new file and point DATABASE_PATH at it)`,
  );
}

export interface IntegrityOptions {
  waitMs?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Checks the open database's file. Damage found within `waitMs` throws DatabaseAccessError;
 * otherwise resolves with `background`: the check still running (resolved when it ends).
 */
export async function checkIntegrity(db: Db, file: string, options: IntegrityOptions): Promise<{ done: IntegrityResult | null; background: Promise<IntegrityResult> }> {
  const check = runQuickCheck(file);
  const waitMs = options.waitMs ?? INTEGRITY_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  const done = await Promise.race([check, timeout]);
  clearTimeout(timer);
  if (done) {
    if (!done.ok) throw damagedFileError(file, done.detail);
    return { done, background: check };
  }
  options.logger.info('the database integrity check goes on in the background', { database: file, waitedMs: waitMs });
  const background = check.then((result) => {
    if (result.ok) {
      options.logger.info('database integrity check passed', { database: file, ms: Math.round(result.ms) });
    } else if (db.$client.open) {
      const error = damagedFileError(file, result.detail);
      faultsOf(db.$client).refuseWrites({ code: 'DATABASE_UNAVAILABLE', reason: `The database file ${file} ${error.reason}`, since: (options.now ?? Date.now)() });
      options.logger.error(`Database damaged: ${error.message}. Writes are refused (503 DATABASE_UNAVAILABLE) until Casebook is restarted on a sound file`, { database: file });
    }
    return result;
  });
  background.catch((error: unknown) => options.logger.error('the background integrity check could not report', { database: file, error: String(error) }));
  return { done: null, background };
}
