/**
 * Faulty database files at start-up, through the real server: a file with damaged pages, a
 * bad header, a truncated file, an empty file — each stops start-up with exit code 1 and one
 * line naming the file and what to do, no stack trace, the file untouched (read-only files
 * and folders: database-access.test.ts). Another application's SQLite file, one without
 * tables and a folder are refused the same way (checked in-process, the start-up's own
 * function). Demo data goes only into a database the start created, never into a file that
 * existed.
 *
 * In-process: an integrity check that outlasts start-up's wait finishes in the background,
 * and damage it finds then refuses writes and fails /health.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase, transaction } from '../../src/db/client.js';
import { openServerDatabase } from '../../src/db/startup.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/compose.js';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';
import { builtServerArgs, freePort, startServer } from '../support/server.js';

/** Runs the real server until it exits (or, wrongly, starts serving: then it is stopped). */
async function startUp(databasePath: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; served: boolean }> {
  const port = await freePort();
  const child = spawn(process.execPath, await builtServerArgs(), {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn', SLA_SWEEP_CRON: '0 0 1 1 *', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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

/** A Casebook database with some cases, closed (WAL checkpointed into the file). */
function casebookFile(dir: string, name = 'casebook.db', cases = 400): string {
  const file = path.join(dir, name);
  const db = openDatabase(file);
  const now = Date.now();
  db.$client.prepare("INSERT INTO customers (email, name, tier, created_at, updated_at) VALUES ('c@example.com', 'C', 'standard', ?, ?)").run(now, now);
  db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES ('general', 'General', 1, ?)").run(now);
  const insert = db.$client.prepare(
    "INSERT INTO cases (customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, tier, queue_id, workflow, workflow_version, sla_policy, sla_config_version, created_at, updated_at) VALUES (1, ?, ?, 'api', 'normal', 'normal', 'new', ?, 1, 'general', 'support', 1, 'standard', 1, ?, ?)",
  );
  for (let i = 0; i < cases; i++) insert.run(`Case ${i}`, 'I was charged twice. '.repeat(20), now, now, now);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  return file;
}

/** Overwrites part of one leaf page of the cases table (the kind of damage that starts fine and fails later). */
function damageOnePage(file: string): void {
  const db = new Database(file, { readonly: true });
  const leaves = db.prepare("SELECT pageno FROM dbstat WHERE name = 'cases' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[];
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const page = leaves[Math.floor(leaves.length / 2)]!;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(200, 0xff), 0, 200, (page - 1) * pageSize + 8);
  fs.closeSync(fd);
}

function expectOneClearLine(result: { code: number | null; output: string; served: boolean }, file: string, reason: RegExp, fix: RegExp) {
  expect(result.served, result.output).toBe(false);
  expect(result.code).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^Casebook cannot start: the database /);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(reason);
  expect(lines[0]).toMatch(fix);
  expect(result.output).not.toMatch(/\n\s+at |SqliteError/);
}

describe('start-up with a faulty database file', () => {
  it('refuses each with one line naming the file and what to do', async () => {
    const dir = tempDir();
    const damaged = casebookFile(dir, 'damaged.db');
    damageOnePage(damaged);
    const badHeader = casebookFile(dir, 'bad-header.db', 10);
    const fd = fs.openSync(badHeader, 'r+');
    fs.writeSync(fd, Buffer.from('NOT A DATABASE!!'), 0, 16, 0);
    fs.closeSync(fd);
    const truncated = casebookFile(dir, 'truncated.db');
    fs.truncateSync(truncated, Math.floor(fs.statSync(truncated).size / 2));
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '');

    const cases: [string, RegExp, RegExp][] = [
      [damaged, /has damaged pages \(quick_check: .*page \d+/, /Fix: .*restore the database from a backup/],
      [badHeader, /is not an SQLite database: it does not start with the SQLite header/, /Fix: restore the database from a backup, or set DATABASE_PATH/],
      [truncated, /is truncated: its header describes \d+ bytes, the file has \d+/, /Fix: restore the database from a backup/],
      [empty, /is an empty file \(0 bytes\), not a Casebook database/, /Fix: .*delete the empty file and start Casebook again/],
    ];
    const before = new Map(cases.map(([file]) => [file, fs.statSync(file).isFile() ? fs.readFileSync(file) : null]));
    // Two at a time: each is a whole server start.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const results = await Promise.all(batch.map(([file]) => startUp(file)));
      batch.forEach(([file, reason, fix], j) => expectOneClearLine(results[j]!, file, reason, fix));
    }
    // Nothing was written to any of them (no migration, no seeding, no WAL left behind).
    for (const [file, bytes] of before) if (bytes) expect(fs.readFileSync(file).equals(bytes), file).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('-wal') && fs.statSync(path.join(dir, f)).size > 0)).toEqual([]);
  }, 60_000);

  it('refuses (in-process, as start-up does) a file of another application, one without tables, a folder — touching none', async () => {
    const dir = tempDir();
    const foreign = path.join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    const bare = path.join(dir, 'bare.db');
    const noTables = new Database(bare);
    noTables.pragma('user_version = 1');
    noTables.close();
    const folder = path.join(dir, 'folder.db');
    fs.mkdirSync(folder);
    const logger = createLogger('silent');
    const cases: [string, RegExp][] = [
      [foreign, /^the database .*foreign\.db holds the tables of another application \(notes\), not Casebook's\. Fix: .*DATABASE_PATH/],
      [bare, /^the database .*bare\.db is an SQLite database without any tables\. Fix: .*delete the file/],
      [folder, /^the database .*folder\.db is a folder, not a file\. Fix: set DATABASE_PATH to a file path/],
    ];
    for (const [file, message] of cases) {
      const before = fs.statSync(file).isFile() ? fs.readFileSync(file) : null;
      await expect(openServerDatabase(file, { busyTimeoutMs: 1000, logger })).rejects.toThrow(message);
      if (before) expect(fs.readFileSync(file).equals(before), file).toBe(true);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['bare.db', 'folder.db', 'foreign.db']);
  });

  it('seeds demo data into a database it creates, never into a file that existed', async () => {
    const dir = tempDir();
    const existing = casebookFile(dir, 'existing.db', 1);
    const result = await startUp(existing, { SEED_DEMO: 'true', LOG_LEVEL: 'info' });
    expect(result.served, result.output).toBe(true);
    expect(result.output).not.toContain('Casebook demo data created');
    expect(result.output).toContain('no demo data: the database file existed before this start');
    const check = new Database(existing, { readonly: true });
    expect(check.prepare('SELECT count(*) FROM staff').pluck().get()).toBe(0);
    check.close();

    const server = await startServer({ databasePath: path.join(dir, 'new.db'), env: { SEED_DEMO: 'true' } });
    expect(server.output()).toContain('Casebook demo data created');
    expect(await server.stop()).toBe(0);
  }, 60_000);
});

describe('an integrity check that outlasts start-up', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it('finishes in the background; damage it finds refuses writes and fails /health', async () => {
    const dir = tempDir();
    const file = casebookFile(dir);
    damageOnePage(file);
    const lines: string[] = [];
    const logger = createLogger('info', (l) => lines.push(l));
    // No wait at all: start-up goes on, the check reports later.
    const { db, created, integrity } = await openServerDatabase(file, { busyTimeoutMs: 1000, logger, integrityWaitMs: 0 });
    closers.push(() => db.$client.close());
    expect(created).toBe(false);
    const result = await integrity!;
    expect(result.ok).toBe(false);
    expect(lines.some((l) => l.includes('Database damaged') && l.includes(file))).toBe(true);

    expect(() => transaction(db, () => db.$client.prepare('DELETE FROM queues').run())).toThrow(expect.objectContaining({ code: 'DATABASE_UNAVAILABLE' }));
    const app = createApp(createServices(db, new ManualClock()), { adminToken: ADMIN_TOKEN });
    const health = await app.request('/health', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ checks: { database: 'failed' }, reason: expect.stringContaining('has damaged pages') });
  });

  it('passes a sound file and lets a new one be created', async () => {
    const dir = tempDir();
    const logger = createLogger('silent');
    const fresh = await openServerDatabase(path.join(dir, 'new.db'), { busyTimeoutMs: 1000, logger });
    closers.push(() => fresh.db.$client.close());
    expect(fresh.created).toBe(true);
    expect(fresh.integrity).toBeNull();
    const file = casebookFile(dir, 'sound.db');
    const sound = await openServerDatabase(file, { busyTimeoutMs: 1000, logger });
    closers.push(() => sound.db.$client.close());
    expect(sound.created).toBe(false);
    expect(await sound.integrity).toMatchObject({ ok: true, detail: 'ok' });
  });
});
