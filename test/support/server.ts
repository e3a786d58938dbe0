/**
 * Starts the real server (`node --import tsx src/main.ts`) as a child process on a free
 * port, for tests that need a socket, a real process to kill, or a browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_TOKEN, ROOT } from './harness.js';

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL: no shutdown handlers run. */
  crash(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | null>;
}

/**
 * Node's flags from `npm start` (e.g. the young-generation size), so tests and benchmarks run
 * the server exactly as it is started in production.
 */
export function startFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  // `exec node …`: the shell npm runs the script in becomes node, so npm's signals reach it.
  const words = start.trim().split(/\s+/).filter((word, i) => !(i === 0 && word === 'exec'));
  if (words[0] !== 'node') throw new Error(`npm start does not run node: ${start}`);
  return words.slice(1, -1);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  databasePath: string;
  /** The script to run (default src/main.ts). */
  script?: string;
  env?: Record<string, string>;
  /** Milliseconds to wait for "Casebook is running". */
  timeoutMs?: number;
  /** The port to listen on (default: a free one). */
  port?: number;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [...startFlags(), options.script ?? 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: options.databasePath,
      SEED_DEMO: 'false',
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      SLA_SWEEP_CRON: '0 0 1 1 *',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      if (out.includes('Casebook is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
