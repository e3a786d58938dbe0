/**
 * Starting and stopping as operators do: `npm start` stopped with SIGTERM/SIGINT sent to npm
 * (a service manager's stop) must stop the server itself and free the port; a port already
 * in use must stop start-up with one line before the database is created or touched.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';
import { builtServerArgs, freePort, startServer } from '../support/server.js';

/** Every process below `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function env(port: number, databasePath: string): NodeJS.ProcessEnv {
  return { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: databasePath, SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn', SLA_SWEEP_CRON: '0 0 1 1 *' };
}

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the server when npm gets ${signal}: no process left, the port free, no write acknowledged after`, async () => {
      const port = await freePort();
      const databasePath = path.join(tempDir(), 'casebook.db');
      const npm = spawn('npm', ['start'], { cwd: ROOT, env: env(port, databasePath), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      npm.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      npm.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const npmExited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      expect(await waitFor(() => out.includes('Casebook is running'), 30_000)).toBe(true);

      const servers = descendants(npm.pid!).filter((pid) => commandOf(pid).includes('dist/src/main.js'));
      expect(servers).toHaveLength(1);
      const server = servers[0]!;

      npm.kill(signal);
      await npmExited;
      expect(await waitFor(() => !alive(server), 10_000)).toBe(true);
      expect(await portIsFree(port)).toBe(true);
      // Nobody answers (let alone acknowledges a write) on the port any more.
      const late = await fetch(`http://127.0.0.1:${port}/api/v1/cases`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer: { email: 'late@example.com' }, subject: 'After the signal', description: 'Is this stored?' }),
      }).then(
        (res) => res.status,
        () => 'refused',
      );
      expect(late).toBe('refused');
    }, 60_000);
  }
});

describe('SIGHUP (the terminal closed)', () => {
  it('stops the server as SIGTERM does: the database closed (no WAL left behind), exit 0', async () => {
    const databasePath = path.join(tempDir(), 'casebook.db');
    const server = await startServer({ databasePath });
    const created = await fetch(`${server.url}/api/v1/cases`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: { email: 'hup@example.com' }, subject: 'Before the hangup', description: 'Stored?' }),
    });
    expect(created.status).toBe(201);
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => server.child.once('exit', (code, signal) => resolve([code, signal])));
    server.child.kill('SIGHUP');
    // Node's default would be [null, 'SIGHUP'], with the WAL left behind.
    expect(await exit).toEqual([0, null]);
    expect(fs.existsSync(`${databasePath}-wal`)).toBe(false);
    expect(server.output()).not.toContain('did not stop within');
  }, 60_000);
});

describe('a port already in use', () => {
  async function occupied(): Promise<{ port: number; close: () => Promise<void> }> {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;
    return { port, close: () => new Promise((resolve) => blocker.close(() => resolve())) };
  }

  let serverArgs: string[];
  beforeAll(async () => void (serverArgs = await builtServerArgs()));

  function start(port: number, databasePath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, serverArgs, { cwd: ROOT, env: env(port, databasePath), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  const expectOneClearLine = (stderr: string, port: number) => {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Casebook cannot start: port 127\\.0\\.0\\.1:${port} is already in use \\(EADDRINUSE\\)\\. Fix: .*set PORT to a free port$`));
  };

  it('stops start-up with one line and creates no database', async () => {
    const dir = tempDir();
    const databasePath = path.join(dir, 'data', 'casebook.db');
    const blocker = await occupied();
    const result = await start(blocker.port, databasePath);
    await blocker.close();
    expect(result.code).toBe(1);
    expectOneClearLine(result.stderr, blocker.port);
    expect(fs.readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('leaves an existing database byte for byte as it was, with no -wal or -shm file', async () => {
    const dir = tempDir();
    const databasePath = path.join(dir, 'casebook.db');
    const first = await startServer({ databasePath });
    const code = await first.stop();
    expect(code, first.output()).toBe(0);
    // the server's lock file (casebook.db-lock, src/db/server-lock.ts) stays, as lock files do
    const files = () => fs.readdirSync(dir).filter((f) => f !== 'casebook.db-lock').sort();
    const digest = () => createHash('sha256').update(fs.readFileSync(databasePath)).digest('hex');
    const before = { files: files(), digest: digest(), mtime: fs.statSync(databasePath).mtimeMs };
    expect(before.files).toEqual(['casebook.db']);

    const blocker = await occupied();
    const result = await start(blocker.port, databasePath);
    await blocker.close();
    expect(result.code).toBe(1);
    expectOneClearLine(result.stderr, blocker.port);
    expect({ files: files(), digest: digest(), mtime: fs.statSync(databasePath).mtimeMs }).toEqual(before);
  }, 60_000);
});
