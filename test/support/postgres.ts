/**
 * A throw-away PostgreSQL cluster for tests: `initdb` in a temp folder (trust auth, on
 * 127.0.0.1 and a unix socket in that folder only, UTF8, C locale: byte order like SQLite's
 * BINARY collation), started with `pg_ctl` on a free port with durability off (fsync,
 * synchronous_commit and full_page_writes: nothing here must survive a crash), stopped with
 * `pg_ctl stop -m immediate` and the folder removed. The newest Debian `postgresql` found
 * under /usr/lib/postgresql/<version>/bin is used.
 *
 * initdb and postgres refuse to run as root: as root (here and in CI) they run as the
 * `postgres` system user the Debian package creates (`runuser -u postgres --`, the folder
 * chowned to it), or `nobody` without one; otherwise as whoever runs the tests.
 *
 * A cluster costs under a second to start here (up to two on a loaded machine): one per test
 * file (beforeAll), a database per test or describe: `createDatabase` (empty, ~25 ms) or
 * `createMigratedDatabase` (./postgres-store.ts: Casebook's migrations applied: a copy of a template migrated once
 * per cluster, ~40 ms, against ~130 ms to migrate each one). A cluster whose test process died without stopping it
 * (killed worker) is stopped by the next `startPostgres` on the machine (its folder names
 * the owning pid), and every cluster still running when the process exits is stopped then.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export const POSTGRES_INSTALL = 'sudo apt-get install -y postgresql';
const PREFIX = 'casebook-pg-';
const SUPERUSER = 'postgres';

export interface PostgresCluster {
  /** The cluster's `postgres` database, as its superuser: `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** The temp folder (data directory in `data/`, the unix socket, the server log). */
  dir: string;
  dataDir: string;
  /** The postmaster's pid. */
  pid: number;
  /** The bin folder of the PostgreSQL used (`/usr/lib/postgresql/15/bin`). */
  binDir: string;
  /**
   * A new empty database (from `template0`, or a copy of `template`: a database nobody is
   * connected to, e.g. one migrated once per file); returns its URL. Default name: a fresh one.
   */
  createDatabase(name?: string, options?: { template?: string }): Promise<string>;
  /** The server log so far (for failing tests). */
  log(): string;
  /** `pg_ctl stop -m immediate`, then the folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** A PostgreSQL bin folder (default: the newest /usr/lib/postgresql/<version>/bin). */
  binDir?: string;
  /** More `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/** The newest installed PostgreSQL's bin folder, or null. */
export function findPostgresBin(root = '/usr/lib/postgresql'): string | null {
  let versions: string[];
  try {
    versions = fs.readdirSync(root);
  } catch {
    return null;
  }
  const found = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && isExecutable(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return found[0] ? path.join(root, found[0], 'bin') : null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface RunAs {
  /** Who the server runs as (null: this process's user). */
  user: string | null;
  uid: number;
  gid: number;
}

/** As root: the `postgres` system user, else `nobody`. Otherwise: ourselves. */
function serverUser(): RunAs {
  if (process.getuid?.() !== 0) return { user: null, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
      const gid = Number(execFileSync('id', ['-g', user], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
      return { user, uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root, but there is neither a postgres nor a nobody user to run PostgreSQL as');
}

/** The command line running `binary` as `as` (through runuser when we are root). */
function commandAs(as: RunAs, binary: string, args: string[]): [string, string[]] {
  return as.user === null ? [binary, args] : ['runuser', ['-u', as.user, '--', binary, ...args]];
}

/**
 * The command line running one of the cluster's programs (`pg_ctl`, `psql`…) as the user the
 * server runs as (PostgreSQL's programs refuse root): for tests that look at a cluster from outside.
 */
export function clusterCommand(cluster: Pick<PostgresCluster, 'binDir'>, program: string, args: string[]): [string, string[]] {
  return commandAs(serverUser(), path.join(cluster.binDir, program), args);
}

/** Our environment without libpq's PG* variables (a PGDATA or PGPORT of the machine must not leak in). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
}

function pgCtlStopSync(binDir: string, as: RunAs, dataDir: string): void {
  const [cmd, args] = commandAs(as, path.join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
  try {
    execFileSync(cmd, args, { stdio: 'ignore', env: cleanEnv(), cwd: '/' });
  } catch {
    // not running (any more)
  }
}

/**
 * Is the process still running? A zombie is not: an exited postmaster is reparented to PID 1
 * (pg_ctl, its parent, is gone), and some container inits reap their orphans late.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops and removes clusters left behind by test processes that are gone (their folder names
 * the owner's pid). Every startPostgres does it first.
 */
export function reapOrphans(binDir: string | null = findPostgresBin(), as: RunAs = serverUser()): void {
  if (!binDir) return;
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmp, name);
    let owner: number;
    try {
      owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // being set up right now, or not ours to judge
    }
    if (!Number.isInteger(owner) || owner <= 0 || isRunning(owner)) continue;
    if (fs.existsSync(path.join(dir, 'data', 'postmaster.pid'))) pgCtlStopSync(binDir, as, path.join(dir, 'data'));
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another user's (a run as root seen by one that is not): theirs to reap
    }
  }
}

const running = new Set<() => void>();
let exitHookInstalled = false;

function stopAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const stop of running) stop();
  });
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const binDir = options.binDir ?? findPostgresBin();
  if (!binDir) throw new Error(`PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres). Install it with: ${POSTGRES_INSTALL}`);
  const as = serverUser();
  reapOrphans(binDir, as);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  fs.chownSync(dir, as.uid, as.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const exec = async (binary: string, args: string[]) => {
    const [cmd, cmdArgs] = commandAs(as, path.join(binDir, binary), args);
    return run(cmd, cmdArgs, { cwd: dir, env: cleanEnv() });
  };

  try {
    await exec('initdb', ['-D', dataDir, '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '-A', 'trust', '--no-sync', '--no-instructions']);
    // Trust, but only on the socket in our folder and on 127.0.0.1.
    const hba = path.join(dataDir, 'pg_hba.conf');
    fs.writeFileSync(hba, 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    fs.chownSync(hba, as.uid, as.gid);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${explain(error)}`);
  }

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
    ...options.settings,
  };
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
    try {
      await exec('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s', '-o', serverOptions]);
      break;
    } catch (error) {
      // The free port was taken between the probe and the bind: try another one.
      if (attempt < 3 && /could not bind|Address already in use/i.test(log())) continue;
      pgCtlStopSync(binDir, as, dataDir);
      const text = log();
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start: ${explain(error)}\n${text}`);
    }
  }
  const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    running.delete(stopSync);
    pgCtlStopSync(binDir, as, dataDir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  running.add(stopSync);
  stopAllOnExit();

  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
    await admin.query('SELECT 1');
  } catch (error) {
    stopSync();
    throw new Error(`PostgreSQL started but does not accept connections: ${explain(error)}\n${log()}`);
  }
  // A broken admin connection must not crash the test process (stop() ends it on purpose).
  admin.on('error', () => undefined);

  let counter = 0;
  return {
    url,
    port,
    dir,
    dataDir,
    pid,
    binDir,
    async createDatabase(name, createOptions = {}) {
      const database = name ?? `test_${process.pid}_${++counter}`;
      const template = createOptions.template ?? 'template0';
      for (const identifier of [database, template]) {
        if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`not a plain database name: ${identifier}`);
      }
      await admin.query(`CREATE DATABASE "${database}" TEMPLATE "${template}"`);
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
    },
    log,
    async stop() {
      if (stopped) return;
      await admin.end().catch(() => undefined);
      stopSync();
    },
  };
}

function explain(error: unknown): string {
  const e = error as { message?: string; stderr?: string };
  return [e.message, e.stderr].filter(Boolean).join('\n');
}
