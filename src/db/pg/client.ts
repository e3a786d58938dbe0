/**
 * PostgreSQL connections (docs/postgres.md): a node-postgres pool and drizzle's node-postgres
 * dialect over the generated schema (src/db/pg/schema.ts). Nothing in the server uses it yet:
 * the commands run on SQLite's synchronous API until the storage port of the next phase.
 */
import path from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { REPO_ROOT } from '../../repo-root.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/** The PostgreSQL migrations: drizzle-kit's output for drizzle.pg.config.ts, with hand-written SQL appended. */
export const PG_MIGRATIONS_DIR = path.join(REPO_ROOT, 'drizzle', 'pg');

/**
 * PostgreSQL's int8 (bigint columns in raw SQL, count(*), sums) as a JavaScript number, as
 * better-sqlite3 hands out SQLite's integers (node-postgres's default is a string): every
 * Casebook integer (ms times, ids, counts) is a safe integer. Drizzle's bigint columns in mode
 * number convert either way.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    id === pg.types.builtins.INT8 && format !== 'binary' ? Number : pg.types.getTypeParser(id, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface OpenPostgresOptions {
  /** Most connections the pool opens (node-postgres's default: 10). */
  max?: number;
  /** An idle connection failed (the server restarted, the network dropped): the pool drops it; default: ignored. */
  onError?: (error: Error) => void;
  /**
   * The longest a statement may run or wait (PostgreSQL's statement_timeout, set on every
   * connection) and a checkout may wait for a pooled connection (node-postgres's
   * connectionTimeoutMillis); 0 or unset: no limit. A statement cut fails with SQLSTATE 57014
   * and a checkout with "timeout exceeded when trying to connect" (store/errors.ts:
   * isDatabaseTimeout).
   */
  timeoutMs?: number;
}

export interface Postgres {
  db: PgDb;
  pool: pg.Pool;
  /** Ends every connection of the pool. */
  close(): Promise<void>;
}

export function openPostgres(url: string, options: OpenPostgresOptions = {}): Postgres {
  const timeout = options.timeoutMs ? { statement_timeout: options.timeoutMs, connectionTimeoutMillis: options.timeoutMs } : {};
  const pool = new pg.Pool({ connectionString: url, types: PG_TYPES, ...(options.max !== undefined ? { max: options.max } : {}), ...timeout });
  // Without a listener, an idle connection's error would end the process.
  pool.on('error', (error) => options.onError?.(error));
  // The pool listens to idle connections only: one checked out (a transaction in progress,
  // between two of its statements or in one) emits its error on the client, which without a
  // listener of its own ends the process too — every instance at once when the server
  // restarts. Its query fails with the error; released, the broken client is dropped.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = drizzle(pool, { schema }) as PgDb;
  let closed: Promise<void> | null = null;
  return {
    db,
    pool,
    close: () => (closed ??= pool.end()),
  };
}
