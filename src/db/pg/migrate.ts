/**
 * Applies the PostgreSQL migrations (drizzle/pg) with drizzle-orm's node-postgres migrator,
 * under a session advisory lock, so that any number of Casebook instances starting together
 * on one database migrate it once: the first to take the lock applies what is missing, the
 * others wait for it and then find nothing to do. The lock is released on success and on
 * failure (and by PostgreSQL if the connection dies).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { PG_MIGRATIONS_DIR } from './client.js';

/** The advisory lock's key: "casebook" in ASCII as a 64-bit integer (0x63617365626f6f6b). */
export const MIGRATION_LOCK_KEY = '7161677110969495403';

export interface MigratePostgresOptions {
  /** The migrations folder (default drizzle/pg). */
  migrationsFolder?: string;
}

/** Migrates the database at `target` (a URL, or a pool of the caller's: one of its connections is used and given back). */
export async function migratePostgres(target: string | pg.Pool, options: MigratePostgresOptions = {}): Promise<void> {
  const pool = typeof target === 'string' ? new pg.Pool({ connectionString: target, max: 1 }) : target;
  if (typeof target === 'string') pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    let failure: { error: unknown } | undefined;
    try {
      // Migrations (and waiting for another instance's) are not cut by the requests' statement timeout.
      await client.query('SET statement_timeout = 0');
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await migrate(drizzle(client), { migrationsFolder: options.migrationsFolder ?? PG_MIGRATIONS_DIR });
    } catch (error) {
      failure = { error };
    }
    try {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await client.query('RESET statement_timeout');
    } catch (error) {
      failure ??= { error };
    }
    // A connection that failed is closed rather than given back: whatever it held ends with it.
    client.release(failure !== undefined);
    if (failure) throw failure.error;
  } finally {
    if (typeof target === 'string') await pool.end();
  }
}
