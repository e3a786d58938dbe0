/**
 * What command-line scripts (`npm run rules:export`, `sla:sweep`, `report` …) share: the
 * same configuration as the server, the same database — the SQLite file at DATABASE_PATH, or
 * PostgreSQL at DATABASE_URL — the same services, real time.
 */
import fs from 'node:fs';
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import type { LiveRelay } from './db/live-relay.js';
import { openServerPostgres } from './db/pg/startup.js';
import type { Store } from './db/store/index.js';
import { openStore } from './db/store/open.js';
import { createLogger, type Logger } from './logger.js';
import { createMailer } from './notifications/mailer.js';
import { createServicesOn, serviceOptionsOf } from './compose.js';
import { type Services } from './services.js';
import { DefinitionError } from './errors.js';

export interface CliContext {
  config: Config;
  services: Services;
  /** Stops the outbox's work and closes the mailer and the database (PostgreSQL: after the live signals are sent). */
  close(): Promise<void>;
}

interface CliDatabase {
  store: Store;
  relay?: LiveRelay;
  close(): Promise<void>;
}

export async function openForCli(): Promise<CliContext> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat);
  const database = await openCliDatabase(config, logger);
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom, { returnPath: config.mailReturnPath }) : null;
  try {
    // On PostgreSQL with the relay: a version a script publishes reaches the running servers at once.
    const services = await createServicesOn(database.store, systemClock, { ...serviceOptionsOf(config), logger, mailer, ...(database.relay ? { relay: database.relay } : {}) });
    return {
      config,
      services,
      async close() {
        services.outbox.stop();
        mailer?.close();
        await database.close();
      },
    };
  } catch (error) {
    mailer?.close();
    await database.close();
    throw error;
  }
}

async function openCliDatabase(config: Config, logger: Logger): Promise<CliDatabase> {
  if (config.databaseUrl) {
    // As the server opens it: reachable, migrated under the advisory lock, the live-signal relay.
    const postgres = await openServerPostgres(config.databaseUrl, { logger, max: 4 });
    return { store: postgres.store, relay: postgres.relay, close: () => postgres.close() };
  }
  // A script run from the wrong folder (or with DATABASE_PATH unset) must not create an empty
  // database there: the server creates and seeds it on its first start.
  if (!fs.existsSync(config.databasePath)) {
    throw new Error(`There is no database at ${config.databasePath}. Run this where you run npm start, or set DATABASE_PATH to the server's database (npm start creates it on its first start), or DATABASE_URL to its PostgreSQL database.`);
  }
  const db = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  return {
    store: openStore({ sqlite: db }),
    close: async () => {
      db.$client.close();
    },
  };
}

/** Parses `--name value` and `--flag` arguments. */
export function parseArgs(argv: readonly string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}"`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) out.set(key, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out.set(key, argv[++i]!);
    else out.set(key, true);
  }
  return out;
}

/** A command line the script does not take: the message, then the usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

export interface CommandLine {
  /** `Usage: npm run x -- …` and what each option does. */
  usage: string;
  /** The options the script takes: `value` ones need one (`--from 2026-03-01`), `flag` ones take none. */
  options: Record<string, 'value' | 'flag'>;
  /** How many arguments that are not options it takes (a file). */
  positional?: number;
}

/**
 * Reads a script's command line before it touches anything: `--help` (or `-h`) prints the
 * usage and exits 0; an option it does not take, an option without its value, or a stray
 * argument is a UsageError (so a typo such as `--form` never runs the script with defaults).
 */
export function readCommandLine(argv: readonly string[], line: CommandLine): { options: Map<string, string | true>; args: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${line.usage}\n`);
    process.exit(0);
  }
  const max = line.positional ?? 0;
  const args: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=', 1)[0]!;
      if (!line.options[name]) throw new UsageError(`Unknown option --${name}.`, line.usage);
      rest.push(arg);
      if (line.options[name] === 'value' && !arg.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) rest.push(argv[++i]!);
    } else if (arg === '-') {
      args.push(arg);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option ${arg}.`, line.usage);
    } else {
      args.push(arg);
    }
  }
  if (args.length > max) throw new UsageError(`Unexpected argument "${args[max]}".`, line.usage);
  const options = parseArgs(rest);
  for (const [name, value] of options) {
    const kind = line.options[name];
    if (!kind) throw new UsageError(`Unknown option --${name}.`, line.usage);
    if (kind === 'value' && value === true) throw new UsageError(`--${name} needs a value.`, line.usage);
    if (kind === 'flag' && value !== true) throw new UsageError(`--${name} takes no value.`, line.usage);
  }
  return { options, args };
}

/** Runs a script body, printing a clear error and exiting non-zero on failure. */
export function runCli(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof UsageError) process.stderr.write(`${error.usage}\n`);
      // A refused definition (or export) lists every problem with its JSON path.
      if (error instanceof DefinitionError) process.stderr.write(error.problems.map((p) => `  ${p.severity} at ${p.path}: ${p.message}\n`).join(''));
      process.exit(1);
    });
}
