/**
 * A database Casebook cannot write: start-up stops with one line naming the path and the fix
 * (no stack trace, no half-working server), and `GET /health` checks the database.
 *
 * What this covers, honestly: tests run as root, and root ignores permission bits. So the
 * start-up cases run the real server (`src/main.ts`) as an unprivileged user (uid/gid 65534)
 * when the test runs as root — a database file it may read but not write, a folder it may not
 * write — plus a case root cannot get past either (the database's folder path runs through a
 * file). `/health` is checked in-process on real connections: one opened by SQLite read-only,
 * a closed one, and one whose write lock another process holds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { checkDatabase, databaseAccessError, DatabaseAccessError } from '../../src/db/access.js';
import { openDatabase, registerSqlFunctions, type Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema/index.js';
import { createApp } from '../../src/http/app.js';
import { createServices } from '../../src/compose.js';
import { ADMIN_TOKEN, createHarness, ROOT, tempDir, type Harness } from '../support/harness.js';
import { builtServerArgs, freePort } from '../support/server.js';

const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

let h: Harness | null = null;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
  h?.close();
  h = null;
});

/** Runs the real server until it exits (or, wrongly, starts serving: then it is stopped). */
async function startUp(databasePath: string): Promise<{ code: number | null; output: string; served: boolean }> {
  const port = await freePort();
  const child = spawn(process.execPath, await builtServerArgs(), {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn', SLA_SWEEP_CRON: '0 0 1 1 *' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...UNPRIVILEGED,
  });
  let output = '';
  let served = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    output += s;
    if (output.includes('Casebook is running')) {
      served = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, output, served };
}

/** A migrated database file in a folder the unprivileged user may write (so only the file is read-only). */
function migratedDatabase(): { dir: string; file: string } {
  const dir = tempDir('casebook-ro-');
  const file = path.join(dir, 'casebook.db');
  openDatabase(file).$client.close();
  fs.chmodSync(dir, 0o777);
  return { dir, file };
}

function expectOneClearLine(result: { code: number | null; output: string; served: boolean }, file: string, reason: RegExp) {
  expect(result.served, result.output).toBe(false);
  expect(result.code).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^Casebook cannot start: the database /);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(reason);
  expect(lines[0]).toMatch(/Fix: .*DATABASE_PATH/);
  expect(result.output).not.toMatch(/\n\s+at /);
}

describe('start-up with a database it cannot write', () => {
  it('a read-only database file: exits with one line naming the file and the fix', async () => {
    const { file } = migratedDatabase();
    fs.chmodSync(file, 0o444);
    const result = await startUp(file);
    expectOneClearLine(result, file, /is read-only \(SQLITE_READONLY\)/);
    expect(result.output).toContain('let the user running Casebook');
  }, 60_000);

  it('a read-only folder: exits with one line naming the path and the fix', async () => {
    const dir = tempDir('casebook-ro-dir-');
    fs.chmodSync(dir, 0o555);
    const inFolder = path.join(dir, 'casebook.db');
    expectOneClearLine(await startUp(inFolder), inFolder, /cannot be opened or created in .* \(SQLITE_CANTOPEN\)/);
    const below = path.join(dir, 'data', 'casebook.db');
    expectOneClearLine(await startUp(below), below, /its folder .*data cannot be created \(EACCES\)/);
    // A writable database file in a folder where SQLite cannot create its -wal/-shm files.
    const existing = migratedDatabase();
    fs.chmodSync(existing.file, 0o666);
    fs.chmodSync(existing.dir, 0o555);
    expectOneClearLine(await startUp(existing.file), existing.file, /is read-only \(SQLITE_READONLY_DIRECTORY\)/);
  }, 60_000);

  it('a folder path that runs through a file (even root cannot): one line, no stack trace', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const file = path.join(dir, 'not-a-folder', 'casebook.db');
    expect(() => openDatabase(file)).toThrow(DatabaseAccessError);
    expectOneClearLine(await startUp(file), file, /is a file, not a folder \((ENOTDIR|EEXIST)\)/);
  }, 60_000);

  it('openDatabase refuses a database SQLite opens read-only, before migrating', () => {
    const { file } = migratedDatabase();
    const probe = (sqlite: Database.Database) => {
      throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    };
    expect(() => openDatabase(file, { probe })).toThrow(/^the database .*casebook\.db is read-only \(SQLITE_READONLY\)\. Fix: /);
    expect(databaseAccessError(file, { ok: false, code: 'SQLITE_FULL', reason: 'the disk is full (SQLITE_FULL)' }).message).toMatch(/is full \(SQLITE_FULL\)\. Fix: free space on that disk/);
  });
});

describe('GET /health checks the database', () => {
  const readOnlyApp = (file: string) => {
    const sqlite = new Database(file, { readonly: true });
    registerSqlFunctions(sqlite); // as openDatabase does: the search triggers call casebook_search_text
    cleanups.push(() => sqlite.close());
    const services = createServices(drizzle(sqlite, { schema }) as Db, new ManualClock());
    return createApp(services, { adminToken: ADMIN_TOKEN });
  };

  it('answers ok when the database can be read and written', async () => {
    h = createHarness();
    const res = await h.api('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('answers 503 with the reason on a read-only database and on a closed connection', async () => {
    h = createHarness();
    const res = await readOnlyApp(h.dbPath).request('/health', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'unavailable', checks: { database: 'failed' }, reason: expect.stringMatching(/cannot be written.*SQLITE_READONLY/) });
    // A write that fails this way is a 503 problem saying so, not an anonymous 500.
    const write = await readOnlyApp(h.dbPath).request('/api/v1/cases', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: { email: 'x@example.com' }, subject: 'Hello', description: 'Is anyone there?' }),
    });
    expect(write.status).toBe(503);
    expect(write.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await write.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, requestId: write.headers.get('X-Request-Id') });

    h.db.$client.close();
    const closed = await h.app.request('/health', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ reason: 'the database connection is closed' });
    h = null;
  });

  it('does not fail (or hang) while another connection holds the write lock', async () => {
    h = createHarness();
    const other = new Database(h.dbPath);
    cleanups.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const res = await h.api('GET', '/health');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'busy' } });
    other.exec('ROLLBACK');
    expect(h.db.$client.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(checkDatabase(h.db.$client)).toEqual({ ok: true });
  });
});
