/**
 * Starts the real server as a child process on a free port, for tests that need a socket, a
 * real process to kill, or a browser: exactly as `npm start` runs it (the build in `dist/`,
 * scripts/build.mjs, made once per run by the `processes` project's global setup:
 * ./build-global.ts), or a TypeScript file of its own (`script`: a test's variant, run with
 * `npm start`'s node flags and tsx). The build (one bundle) starts in ~1.2–1.5 s of CPU where
 * the sources through tsx took ~3.3 s, and the suite starts a server a few hundred times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './free-port.js';
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

let scriptsRead: Record<string, string> | null = null;
/** package.json's `scripts` (npm run's commands), read once. */
export function npmScripts(): Record<string, string> {
  scriptsRead ??= (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return scriptsRead;
}

/**
 * Node's arguments in an npm command, or null when it does not run node. `exec node …`: the
 * shell npm runs the script in becomes node, so npm's signals reach it.
 */
function nodeArgsOf(command: string): string[] | null {
  const words = command.trim().split(/\s+/).filter((word, i) => !(i === 0 && word === 'exec'));
  return words[0] === 'node' ? words.slice(1) : null;
}

function startCommand(): string[] {
  const start = npmScripts().start ?? '';
  const args = nodeArgsOf(start);
  if (!args) throw new Error(`npm start does not run node: ${start}`);
  return args;
}

/**
 * Node's flags from `npm start` (none today: V8's defaults), so tests and benchmarks run the
 * server with the flags it is started with in production.
 */
export function startFlags(): string[] {
  return startCommand().slice(0, -1);
}

/** Node's arguments to run a TypeScript file (the server's sources, a test helper) with `npm start`'s flags. */
export function tsNodeArgs(script: string, ...args: string[]): string[] {
  return [...startFlags(), '--import', 'tsx', script, ...args];
}

/**
 * Node's arguments for a command-line script (`scripts/x.ts`) as `npm run` runs it, from the
 * package.json command that names it: an operational script from the build through
 * scripts/run.mjs (`node scripts/run.mjs x`), a developer's tool through tsx.
 */
export function scriptNodeArgs(script: string, ...args: string[]): string[] {
  const name = /^scripts\/([\w-]+)\.ts$/.exec(script)?.[1];
  for (const command of Object.values(npmScripts())) {
    const node = nodeArgsOf(command);
    if (!node) continue;
    const launched = node.length === 2 && node[0] === 'scripts/run.mjs' && node[1] === name;
    if (launched || node.at(-1) === script) return [...node, ...args];
  }
  throw new Error(`no npm script in package.json runs ${script}`);
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command-line script (`scripts/x.ts`) as `npm run` runs it, from the repository; killed after 100 s. */
const SCRIPT_HANG_MS = 100_000;

export function runScript(script: string, args: string[], env: Record<string, string>, stdin?: string): Promise<ScriptResult> {
  const child = spawn(process.execPath, scriptNodeArgs(script, ...args), { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A guard against a script that hangs, not a time limit: inside a full run on two cores a
  // script that loads in 2 s alone has taken over 30 s.
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, SCRIPT_HANG_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: killed ? `${stderr}(killed: still running after ${SCRIPT_HANG_MS / 1000} s)\n` : stderr });
    });
  });
}

let built: Promise<void> | null = null;

/** Node's arguments to run the server as `npm start` does, after its `prestart` build. */
export async function builtServerArgs(): Promise<string[]> {
  built ??= import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href).then((m: { build: (o: { quiet: boolean }) => Promise<unknown> }) => m.build({ quiet: true }).then(() => undefined));
  await built;
  return startCommand();
}

// In its own file so helpers that start no server (test/support/postgres.ts) need not load the harness.
export { freePort };

export interface StartOptions {
  /** The SQLite file (DATABASE_PATH); with `databaseUrl` it only places the default attachments folder. */
  databasePath: string;
  /** DATABASE_URL: run on this PostgreSQL database instead of the SQLite file. */
  databaseUrl?: string;
  /** A TypeScript file to run instead of the build (`dist/`) that `npm start` runs. */
  script?: string;
  env?: Record<string, string>;
  /** Milliseconds to wait for "Casebook is running". */
  timeoutMs?: number;
  /** The port to listen on (default: a free one). */
  port?: number;
  /** Node's flags before the server's own (e.g. `--trace-gc-nvp`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/**
 * Starts the server. On a free port chosen here, a start that finds the port taken meanwhile
 * (`freePort` closes its probe before the child binds; any process's outgoing connection may
 * take that ephemeral port in between) is tried again on another one.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(options);
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startServerOnce(options: StartOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const args = [...(options.nodeArgs ?? []), ...(options.script ? tsNodeArgs(options.script) : await builtServerArgs())];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: options.databasePath,
      // Never one inherited from the test's environment: SQLite unless the test asks.
      DATABASE_URL: options.databaseUrl ?? '',
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
      const message = `server exited with ${code}:\n${out}`;
      reject(out.includes('is already in use (EADDRINUSE)') ? new PortTakenError(message) : new Error(message));
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
