/**
 * The server's way to open PostgreSQL (DATABASE_URL; main.ts):
 *
 * 1. one connection is tried first, within CONNECT_TIMEOUT_MS: a server that cannot be
 *    reached, a refused password or a missing database stops start-up with one line (the
 *    URL shown without its password);
 * 2. the migrations are applied under the advisory lock (`migratePostgres`): instances
 *    starting together migrate once;
 * 3. the pool, the storage port on it and the live-signal relay (LISTEN/NOTIFY on its own
 *    connection) are opened.
 *
 * `withStartupLock(fn)` runs the rest of start-up that must happen once per database
 * (seeding definitions, the demo on a database without staff) under a session advisory lock
 * of its own, so a second instance starting meanwhile waits and then finds it done.
 * SQLite-only machinery (the server lock file, WAL checkpoints, the file watch, the integrity
 * check, backup) has no counterpart here: PostgreSQL does that itself, or pg_dump does.
 */
import pg from 'pg';
import type { Logger } from '../../logger.js';
import { DatabaseAccessError } from '../access.js';
import { postgresStore } from '../store/pg.js';
import type { Store } from '../store/index.js';
import { openPostgres } from './client.js';
import { redactMessage, redactUrl } from './copy/target.js';
import { migratePostgres } from './migrate.js';
import { postgresRelay, type PostgresRelay } from './notify-relay.js';

/** How long the first connection may take before start-up gives up. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The start-up lock's key ("casebook" + 1: not the migration lock's, which is held around the migrator only). */
export const STARTUP_LOCK_KEY = '7161677110969495404';

export interface ServerPostgres {
  store: Store;
  pool: pg.Pool;
  relay: PostgresRelay;
  /** The URL without its password, for messages. */
  shown: string;
  /** `fn` while this process holds the start-up lock (one instance at a time per database). */
  withStartupLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Closes the relay, then the pool (after the store's last statement). */
  close(): Promise<void>;
}

function unreachable(url: string, error: unknown): DatabaseAccessError {
  return new DatabaseAccessError(
    `at ${redactUrl(url)} (DATABASE_URL)`,
    `cannot be reached: ${redactMessage(error, url)}`,
    'check the host, port, user, password and database name in DATABASE_URL, that the PostgreSQL server runs and lets this machine in (pg_hba.conf), and that the database exists (createdb)',
  );
}

/** One connection, opened and closed: the URL's server answers and lets us in. */
async function tryConnect(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw unreachable(url, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `timeoutMs`: the server's requests' statement and checkout timeout (DATABASE_STATEMENT_TIMEOUT_MS);
 * unset (the command-line jobs: backup, import, reports): no limit.
 */
export async function openServerPostgres(url: string, options: { logger: Logger; max?: number; timeoutMs?: number }): Promise<ServerPostgres> {
  const { logger } = options;
  await tryConnect(url);
  const postgres = openPostgres(url, { ...(options.max !== undefined ? { max: options.max } : {}), timeoutMs: options.timeoutMs ?? 0, onError: (error) => logger.warn('a pooled PostgreSQL connection failed (the pool replaces it)', { error: redactMessage(error, url) }) });
  try {
    await migratePostgres(postgres.pool);
  } catch (error) {
    await postgres.close();
    throw new DatabaseAccessError(`at ${redactUrl(url)} (DATABASE_URL)`, `cannot be migrated: ${redactMessage(error, url)}`, 'let the user in DATABASE_URL create tables, functions and the unaccent extension in that database (its owner may), or use an empty database');
  }
  let relay: PostgresRelay;
  try {
    relay = await postgresRelay(postgres.pool, { onError: (error) => logger.warn('live signals between instances', { error: redactMessage(error, url) }) });
  } catch (error) {
    await postgres.close();
    throw unreachable(url, error);
  }
  const store = postgresStore(postgres.db, {});
  return {
    store,
    pool: postgres.pool,
    relay,
    shown: redactUrl(url),
    withStartupLock: (fn) => withSessionLock(postgres.pool, STARTUP_LOCK_KEY, fn),
    async close() {
      await relay.close();
      await postgres.close();
    },
  };
}

/** `fn` while one pooled connection holds the session advisory lock `key` (released after, on failure too). */
export async function withSessionLock<T>(pool: pg.Pool, key: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    // Waits as long as the instance holding it needs (its seeding, its demo): not cut by the
    // requests' statement timeout (the session's default again once released).
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {
        broken = true; // the connection is closed below: PostgreSQL drops its locks with it
      });
      if (!broken) await client.query('RESET statement_timeout').catch(() => (broken = true));
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}
