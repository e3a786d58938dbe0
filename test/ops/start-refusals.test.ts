/**
 * What an operator sees when `npm start` cannot start: one line on stderr naming what is
 * wrong (the variable, the database in use) and the fix — no stack trace, no half-started
 * server, no database file created. The real server, built as `npm start` runs it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';
import { builtServerArgs, freePort, startServer, type RunningServer } from '../support/server.js';

interface Refusal {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built server until it exits (a server that starts instead is stopped: the test fails). */
async function refusedStart(databasePath: string, env: Record<string, string>): Promise<Refusal> {
  const args = await builtServerArgs();
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn', SLA_SWEEP_CRON: '0 0 1 1 *', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (stdout.includes('Casebook is running')) child.kill('SIGTERM');
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function expectOneLine(result: Refusal, pattern: RegExp): void {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stdout).not.toContain('Casebook is running');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^Casebook cannot start: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

let dir: string;
beforeAll(async () => {
  dir = tempDir();
  await builtServerArgs();
});

describe('a bad environment value', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT must be a port number, got "abc"$/],
    [{ SMTP_URL: 'smtp://casebook:hunter2-secret@mail.example.com:abc' }, /SMTP_URL must be a URL such as smtp:\/\/.*got "smtp:\/\/casebook:\*\*\*@mail\.example\.com:abc"$/],
    [{ RETENTION_DAYS: 'forever' }, /RETENTION_DAYS must be a whole number of days from 1 to 36500, got "forever"$/],
    [{ CHANNELS_KEY: 'short' }, /CHANNELS_KEY must be 32 random bytes .* got 5 characters$/],
    [{ PUBLIC_URL: 'support.example.com' }, /PUBLIC_URL must be the http or https address/],
    [{ REPORT_TIMEZONE: 'Mars/Base' }, /REPORT_TIMEZONE must be a time zone/],
    [{ CHAT_SWEEP_CRON: 'every minute' }, /CHAT_SWEEP_CRON: "every minute" is not a valid cron expression/],
    [{ HOST: 'no-such-host.invalid' }, /HOST "no-such-host\.invalid" is not a name or address of this machine .*Fix: set HOST/],
  ];

  it('stops start-up with one line naming the variable, before the database is created', async () => {
    const results = await Promise.all(cases.map(([env], i) => refusedStart(path.join(dir, `bad-${i}`, 'casebook.db'), env)));
    results.forEach((result, i) => {
      const [env, pattern] = cases[i]!;
      expectOneLine(result, pattern);
      expect(result.stderr).not.toContain('hunter2');
      expect(fs.existsSync(path.join(dir, `bad-${i}`, 'casebook.db')), JSON.stringify(env)).toBe(false);
    });
  }, 60_000);
});

describe('a mail port that cannot be bound (INBOUND_SMTP_PORT)', () => {
  it('stops start-up with one line naming both variables', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const result = await refusedStart(path.join(dir, 'smtp', 'casebook.db'), { INBOUND_SMTP_HOST: '127.0.0.1', INBOUND_SMTP_PORT: String(port) });
      expectOneLine(result, new RegExp(`cannot receive mail on 127\\.0\\.0\\.1:${port} \\(INBOUND_SMTP_HOST, INBOUND_SMTP_PORT\\): the port is in use \\(EADDRINUSE\\)\\. Fix: set INBOUND_SMTP_PORT`));
    } finally {
      blocker.close();
    }
  }, 30_000);
});

describe('a second server on the same DATABASE_PATH', () => {
  let first: RunningServer | null = null;
  afterAll(async () => {
    await first?.stop();
  });

  it('is refused with one line naming the running one, and the database is left to it', async () => {
    const databasePath = path.join(dir, 'shared', 'casebook.db');
    first = await startServer({ databasePath });
    const second = await refusedStart(databasePath, {});
    expectOneLine(second, new RegExp(`the database ${databasePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is in use by another Casebook server \\(pid ${first.child.pid} on .*\\)\\. Fix: stop that server first, or set DATABASE_PATH to another database file$`));
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    // the lock goes with the process: after kill -9 the next start gets the database
    await first.crash();
    first = await startServer({ databasePath });
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
  }, 60_000);
});

describe('a DATABASE_PATH whose folder a special file system refuses (/proc)', () => {
  // Node's recursive mkdir looped for ever on /proc's ENOENT: the start hung with no word.
  it.runIf(process.platform === 'linux')('stops start-up with one line naming the folder', async () => {
    const result = await refusedStart('/proc/casebook-test/data/casebook.db', {});
    expectOneLine(result, /the database \/proc\/casebook-test\/data\/casebook\.db cannot be created: its folder \/proc\/casebook-test\/data cannot be created there \(ENOENT; .*\)\. Fix: set DATABASE_PATH/);
  }, 30_000);
});
