/**
 * Start-up writes to the database — the migrations, then seeding — and another process may
 * hold the file's write lock meanwhile (a long `npm run import`, a sqlite3 shell left in a
 * transaction), or the disk may be full. Either stops start-up with one line naming the file,
 * the reason and the fix, and leaves the file as it was; started again once the lock is
 * released or space freed, the server migrates and serves. Before, both were stack traces:
 * drizzle's "Failed to run the query 'CREATE TABLE …'" for the lock, and for the full disk
 * "Failed to run the query 'ROLLBACK'" — SQLite had already rolled the migrations back itself,
 * drizzle's own ROLLBACK failed, and its error hid the reason (src/db/migrate.ts). A database
 * a newer Casebook migrated is refused the same way, by the server and the scripts alike.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { databaseAccessError } from '../../src/db/access.js';
import { MIGRATIONS_DIR, openDatabase } from '../../src/db/client.js';
import { migrateSqlite } from '../../src/db/migrate.js';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';
import { migrationsBefore } from '../support/migrations-before.js';
import { builtServerArgs, freePort, runScript } from '../support/server.js';
import { mountSmallDisk } from '../support/small-disk.js';

let holder: ChildProcessWithoutNullStreams | null = null;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = null;
});

const journalLength = (JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

/** A Casebook database of an old release: only its first migration applied, every later one still to come. */
function oldDatabase(dir: string): string {
  const file = path.join(dir, 'casebook.db');
  const db = openDatabase(file, { migrate: false });
  migrateSqlite(db, migrationsBefore(tempDir('casebook-old-migrations-'), '0001_search_and_case_ids'));
  db.$client.close();
  return file;
}

function appliedMigrations(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM __drizzle_migrations').get()!.n;
  } finally {
    db.close();
  }
}

/** Runs the real server (`npm start`'s build) until it exits or starts serving; a server that serves is stopped with SIGTERM. */
async function startUp(databasePath: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; served: boolean }> {
  const port = await freePort();
  const child = spawn(process.execPath, await builtServerArgs(), {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, DATABASE_URL: '', SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn', SLA_SWEEP_CRON: '0 0 1 1 *', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let served = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    output += s;
    if (!served && output.includes('Casebook is running')) {
      served = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, output, served };
}

function expectOneLine(result: { code: number | null; output: string; served: boolean }, file: string, reason: RegExp): void {
  expect(result.served, result.output).toBe(false);
  expect(result.code).toBe(1);
  expect(result.output).not.toMatch(/\n\s+at /);
  const lines = result.output.trim().split('\n');
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^Casebook cannot start: the database /);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(reason);
  expect(lines[0]).toMatch(/Fix: /);
}

/** Another process takes the database's write lock and holds it until told (test/support/hold-lock.ts). */
async function holdLock(file: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-lock.ts', file], { cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8');
  while (!out.includes('locked')) out += String((await once(child.stdout, 'data'))[0]);
  return child;
}

async function release(child: ChildProcessWithoutNullStreams): Promise<void> {
  child.stdin.write('release\n');
  await once(child, 'exit');
  holder = null;
}

describe('start-up on a database another process holds locked', () => {
  it('with migrations to apply: one line naming the lock and the fix, nothing migrated; once released it migrates and serves', async () => {
    const file = oldDatabase(tempDir('casebook-locked-'));
    const before = appliedMigrations(file);
    expect(before).toBe(1);
    holder = await holdLock(file);
    const refused = await startUp(file, { DATABASE_BUSY_TIMEOUT_MS: '300' });
    expectOneLine(refused, file, /is locked by another process.*DATABASE_BUSY_TIMEOUT_MS \(SQLITE_BUSY\)\. Fix: let that process finish or stop it/);
    expect(appliedMigrations(file)).toBe(before);

    await release(holder!);
    const started = await startUp(file);
    expect(started.served, started.output).toBe(true);
    expect(appliedMigrations(file)).toBe(journalLength);
  }, 60_000);

  it('with nothing to migrate: the first write of start-up (seeding) stops it with the same line', async () => {
    const dir = tempDir('casebook-locked-');
    const file = path.join(dir, 'casebook.db');
    openDatabase(file).$client.close();
    holder = await holdLock(file);
    const refused = await startUp(file, { DATABASE_BUSY_TIMEOUT_MS: '300' });
    expectOneLine(refused, file, /is locked by another process.*\(SQLITE_BUSY\)\. Fix: let that process finish or stop it/);
  }, 60_000);
});

describe('a database a newer Casebook migrated (the code rolled back after an upgrade)', () => {
  it('stops start-up and the command-line scripts with one line, the file untouched; before, both ran on a schema they did not know, without a word', async () => {
    const dir = tempDir('casebook-newer-');
    const file = path.join(dir, 'casebook.db');
    openDatabase(file).$client.close();
    const newer = new Database(file);
    newer.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('a-later-release', Date.UTC(2030, 0, 1));
    newer.close();
    const bytes = fs.readFileSync(file);
    const refused = await startUp(file);
    expectOneLine(refused, file, /was migrated by a newer Casebook \(its last migration is dated 2030-01-01T00:00:00\.000Z, after this code's last, .*\)\. Fix: run the Casebook version that migrated it/);
    const sweep = await runScript('scripts/sla-sweep.ts', [], { DATABASE_PATH: file });
    expect(sweep.code).toBe(1);
    expect(sweep.stderr).toMatch(/^the database .*casebook\.db was migrated by a newer Casebook .*\n$/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  }, 120_000);
});

describe('migrations on a full database (max_page_count), in-process', () => {
  it('throw SQLite’s own SQLITE_FULL error (not a wrapper start-up cannot read), which start-up words as a full disk, and leave the file as it was', () => {
    const dir = tempDir('casebook-full-migrate-');
    const file = oldDatabase(dir);
    const run = (migrator: (db: ReturnType<typeof openDatabase>) => void): unknown => {
      const db = openDatabase(file, { migrate: false });
      db.$client.pragma(`max_page_count = ${Number(db.$client.pragma('page_count', { simple: true })) + 4}`);
      try {
        migrator(db);
        return null;
      } catch (error) {
        return error;
      } finally {
        db.$client.close();
      }
    };
    const ours = run((db) => migrateSqlite(db, MIGRATIONS_DIR)) as Error & { code?: string };
    expect(ours.code).toBe('SQLITE_FULL');
    expect(databaseAccessError(file, ours).message).toMatch(/cannot grow: the disk holding .* is full \(SQLITE_FULL\)\. Fix: free space on that disk/);
    expect(appliedMigrations(file)).toBe(1);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });
});

const disk = mountSmallDisk('casebook-full-start-');
afterAll(() => {
  if (typeof disk !== 'string') disk.unmount();
});
if (typeof disk === 'string') process.stderr.write(`start-up-writes: skipping the real-disk test (${disk})\n`);

describe('start-up migrations on a full disk (2 MiB tmpfs), the real server', () => {
  it.skipIf(typeof disk === 'string')('stop with one line naming the full disk and leave the file as it was; with space freed it migrates and serves', async () => {
    const { dir } = disk as { dir: string };
    const file = oldDatabase(dir);
    const filler = path.join(dir, 'filler');
    const free = () => {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    };
    // Room for the -shm and a little WAL, not for the migrations.
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 96 * 1024)));
    const bytes = fs.readFileSync(file);
    const refused = await startUp(file, { ATTACHMENTS_DIR: tempDir('casebook-full-files-') });
    expectOneLine(refused, file, /cannot grow: the disk holding .* is full \(SQLITE_FULL\)\. Fix: free space on that disk/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(appliedMigrations(file)).toBe(1);

    fs.rmSync(filler);
    const started = await startUp(file, { ATTACHMENTS_DIR: tempDir('casebook-full-files-') });
    expect(started.served, started.output).toBe(true);
    expect(appliedMigrations(file)).toBe(journalLength);
  }, 60_000);
});
