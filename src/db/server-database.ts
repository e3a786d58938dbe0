/**
 * The database a server runs on, opened for start-up (main.ts): SQLite at DATABASE_PATH, as
 * always — the server lock file, the checked and migrated file, WAL checkpoints, the file
 * watch — or PostgreSQL at DATABASE_URL (pg/startup.ts: migrated under the advisory lock, a
 * pool, the live-signal relay). What main.ts needs of either: the storage port, SQLite's
 * handle where there is one, the relay where instances share the database, the start-up
 * lock, and closing in order on shutdown.
 */
import type { Logger } from '../logger.js';
import { DatabaseAccessError } from './access.js';
import { startCheckpointer } from './checkpointer.js';
import type { Db } from './client.js';
import { watchDatabaseFile } from './file-watch.js';
import type { LiveRelay } from './live-relay.js';
import { lockFileOf, lockServerDatabase, type ServerLock } from './server-lock.js';
import { openServerDatabase } from './startup.js';
import type { Store } from './store/index.js';
import { sqliteStore } from './store/sqlite.js';
import { useWalJoining } from './wal-coalesce.js';

export interface ServerDatabase {
  dialect: 'sqlite' | 'postgres';
  store: Store;
  /** SQLite's database; null on PostgreSQL. */
  sqlite: Db | null;
  /** Live signals to the other instances on the database (PostgreSQL); none on SQLite (one server per file). */
  relay: LiveRelay | undefined;
  /** SQLite: whether this start created the file (demo data only goes into a new one); PostgreSQL: null (a database without staff counts as new). */
  created: boolean | null;
  /** The database for log lines: the file, or the URL without its password. */
  where: string;
  /** `fn` once per database at a time (PostgreSQL: an advisory lock; SQLite: the server lock file already makes this process the only one). */
  withStartupLock<T>(fn: () => Promise<T>): Promise<T>;
  /** After the services have stopped: checkpointer, file watch, connection(s), lock. */
  close(): Promise<void>;
}

export interface ServerDatabaseConfig {
  databasePath: string;
  databaseUrl: string | null;
  busyTimeoutMs: number;
  /** PostgreSQL: a request's statement and pool checkout timeout (0: none). */
  statementTimeoutMs: number;
  walCheckpoints: 'worker' | 'auto';
  walSizeLimit: number;
}

export function openDatabaseForServer(config: ServerDatabaseConfig, logger: Logger): Promise<ServerDatabase> {
  return config.databaseUrl ? openPostgresForServer(config.databaseUrl, config.statementTimeoutMs, logger) : openSqliteForServer(config, logger);
}

async function openPostgresForServer(url: string, timeoutMs: number, logger: Logger): Promise<ServerDatabase> {
  // Loaded here, not with this module: a server on SQLite never loads node-postgres, drizzle's
  // node-postgres driver and src/db/pg/ (1.8 MiB of live heap it kept for nothing; docs/performance.md).
  const { openServerPostgres } = await import('./pg/startup.js');
  const postgres = await openServerPostgres(url, { logger, timeoutMs });
  return {
    dialect: 'postgres',
    store: postgres.store,
    sqlite: null,
    relay: postgres.relay,
    created: null,
    where: postgres.shown,
    withStartupLock: postgres.withStartupLock,
    close: () => postgres.close(),
  };
}

async function openSqliteForServer(config: ServerDatabaseConfig, logger: Logger): Promise<ServerDatabase> {
  // One server per database file: a second one stops here, before it looks at the file. A
  // lock file that cannot be created (a read-only folder) is left to opening the database to
  // explain, in its own words; should the database open all the same, the server runs unlocked.
  let lock: ServerLock | null = null;
  let unlocked: DatabaseAccessError | null = null;
  try {
    lock = lockServerDatabase(config.databasePath);
  } catch (error) {
    if (!(error instanceof DatabaseAccessError)) throw error;
    unlocked = error;
  }
  // Refuses a damaged, empty or foreign file with one line; `created`: no file was there.
  const { db, created } = await openServerDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs, logger });
  const joining = useWalJoining(); // loaded by openDatabase; this only asks how it went
  if (!joining.on) logger.info('SQLite writes each WAL frame in two system calls: WAL write joining is off', { reason: joining.reason });
  if (unlocked) logger.warn('the server lock file cannot be created: a second server on this database would not be refused', { lockFile: lockFileOf(config.databasePath), reason: unlocked.message });
  const checkpointer = config.walCheckpoints === 'worker' ? startCheckpointer(db, config.databasePath, logger, { walSizeLimit: config.walSizeLimit }) : null;
  const fileWatch = watchDatabaseFile(db, config.databasePath, logger);
  return {
    dialect: 'sqlite',
    store: sqliteStore(db),
    sqlite: db,
    relay: undefined,
    created,
    where: config.databasePath,
    withStartupLock: (fn) => fn(),
    async close() {
      fileWatch.stop();
      await checkpointer?.stop();
      db.$client.close();
      lock?.release();
    },
  };
}
