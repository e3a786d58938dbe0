/**
 * What command-line scripts (`npm run rules:export`, `sla:sweep`, `report` …) share: the
 * same configuration as the server, the same database file, real time.
 */
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import { createLogger } from './logger.js';
import { createMailer } from './notifications/mailer.js';
import { createServices } from './compose.js';
import { type Services } from './services.js';
import { DefinitionError } from './errors.js';

export interface CliContext {
  config: Config;
  services: Services;
  close(): void;
}

export function openForCli(): CliContext {
  const config = loadConfig();
  const db = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom) : null;
  const services = createServices(db, systemClock, {
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat),
    mailer,
    publicUrl: config.publicUrl,
    defaultWorkflow: config.defaultWorkflow,
    queueWaitAlertMinutes: config.queueWaitAlertMinutes,
    email: config.email,
    attachments: config.attachments,
    rulesEngine: config.rulesEngine,
  });
  return {
    config,
    services,
    close() {
      services.outbox.stop();
      mailer?.close();
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

/** Runs a script body, printing a clear error and exiting non-zero on failure. */
export function runCli(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      // A refused definition (or export) lists every problem with its JSON path.
      if (error instanceof DefinitionError) process.stderr.write(error.problems.map((p) => `  ${p.severity} at ${p.path}: ${p.message}\n`).join(''));
      process.exit(1);
    });
}
