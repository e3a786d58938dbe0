/**
 * Start-up: read config → load and validate every definition file (a bad file stops here,
 * before the database is touched) → check the attachment folder and bind the port (a folder
 * it cannot write or a port in use stops here, before the database is touched) → open and migrate the database (SQLite at DATABASE_PATH, or
 * PostgreSQL at DATABASE_URL: src/db/server-database.ts) → seed an empty one (on PostgreSQL
 * under the start-up lock: instances starting together seed once) → serve HTTP and run the
 * scheduled jobs → catch up on work that fell due while down, in the background.
 */
import { createAttachmentStore } from './attachments/store.js';
import { startImapPoller } from './channels/email/imap.js';
import { createMailboxSupervisor } from './channels/email/mailbox-supervisor.js';
import { startSmtpReceiver } from './channels/email/smtp-receiver.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DatabaseAccessError, databaseAccessError } from './db/access.js';
import { openDatabaseForServer } from './db/server-database.js';
import { DatabaseInUseError } from './db/server-lock.js';
import { databaseFault } from './db/store/errors.js';
import { DefinitionFileError, loadDefinitionFiles } from './definitions/files.js';
import { describeRefusedRuleset } from './definitions/registry.js';
import { createApp } from './http/app.js';
import { bindServer, PortInUseError } from './http/listen.js';
import { createLogger } from './logger.js';
import { processMetrics } from './metrics/process-metrics.js';
import { createMailer } from './notifications/mailer.js';
import { serverJobs } from './scheduler/jobs.js';
import { closeDeadRuns } from './scheduler/claim-tick.js';
import { ScheduleError, startScheduler, validateSchedule } from './scheduler/scheduler.js';
import { seedDefinitions } from './seed/seed-definitions.js';
import { hasStaff, seedDemo, type DemoReport } from './seed/seed-demo.js';
import { firstAccountsHint } from './seed/first-accounts.js';
import { createServicesOn, serviceOptionsOf } from './compose.js';
import { catchUp } from './sla/run-sweep.js';
import { builtinActions } from './compose.js';
import type { Services } from './services.js';

/** How long shutdown may take (in-flight requests, the item being performed) before exiting anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long requests already received get to finish once SIGTERM came (src/http/listen.ts). */
const REQUEST_DRAIN_MS = 7_000;

function printDemo(config: Config, report: DemoReport): void {
  const width = Math.max(...report.accounts.map((a) => a.email.length));
  const lines = [
    '',
    'Casebook demo data created (shown once).',
    `Sign in at ${config.publicUrl}/login with the password: ${report.password}`,
    ...report.accounts.map((a) => `  ${a.email.padEnd(width)}  ${a.role.padEnd(8)}  ${a.name}`),
    `Demo admin API token: ${report.token}`,
    `  curl -H "Authorization: Bearer ${report.token}" ${config.publicUrl}/api/v1/cases`,
    `Demo cases: ${report.cases.join(', ')}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * The demo (SEED_DEMO) on a new database: on SQLite a file this start created, on PostgreSQL
 * a database without staff (under the start-up lock, so instances starting together seed it
 * once). Returns what to print, or null. The demo is all or nothing (seedDemo): one that fails
 * wrote nothing, and the start goes on without it, saying why.
 */
async function seedDemoOnce(config: Config, services: Services, created: boolean | null): Promise<DemoReport | null> {
  const { logger } = services;
  if (!config.seedDemo && config.seedDemoSource === 'production-default') {
    process.stdout.write('No demo data: NODE_ENV=production turns SEED_DEMO off (set SEED_DEMO=true to seed the demo accounts anyway).\n');
  }
  if (config.seedDemo && config.seedDemoSource === 'explicit' && process.env.NODE_ENV === 'production') {
    logger.warn('SEED_DEMO=true with NODE_ENV=production: an empty database gets the demo accounts, an admin among them');
  }
  if (!config.seedDemo) return null;
  if (created === false) {
    if (!(await hasStaff(services))) logger.info('no demo data: the database file existed before this start (demo data only goes into a database Casebook creates)', { database: config.databasePath });
    return null;
  }
  try {
    return await seedDemo(services, { password: config.demoPassword ?? '' });
  } catch (error) {
    logger.error('no demo data: adding it failed and was rolled back, nothing of it is in the database', { error });
    return null;
  }
}

/** ATTACHMENTS_DIR can be created and written, or start-up stops with one line saying how to fix it. */
function checkAttachmentsDir(dir: string): void {
  try {
    createAttachmentStore(dir).check();
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new ConfigError(`ATTACHMENTS_DIR ${dir} cannot be written (${reason}). Fix: let the user running Casebook create and write that folder, or set ATTACHMENTS_DIR to one it can write`);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  processMetrics(); // the event-loop lag is measured from the start
  validateSchedule('SLA_SWEEP_CRON', config.slaSweepCron);
  validateSchedule('REPORT_CRON', config.reportCron);
  validateSchedule('CHAT_SWEEP_CRON', config.chatSweepCron);

  const files = loadDefinitionFiles({
    workflowsDir: config.workflowsDir,
    rulesDir: config.rulesDir,
    actions: builtinActions(),
  });
  if (!files.workflows.has(config.defaultWorkflow)) {
    throw new ConfigError(`DEFAULT_WORKFLOW is "${config.defaultWorkflow}" but ${config.workflowsDir} has no ${config.defaultWorkflow}.json`);
  }

  // The attachment folder is checked before the database is opened: a refusal leaves no
  // database behind (the corrected start then creates it, with the demo). The default folder
  // beside an SQLite database is checked once the database is open: a folder the database
  // cannot be created in is the database's problem, and its own message says so first.
  const attachmentsBesideDatabase = !config.databaseUrl && config.attachments.besideDatabase === true;
  if (!attachmentsBesideDatabase) checkAttachmentsDir(config.attachments.dir);

  // Bind the port before the database is opened: a port in use stops here, nothing written.
  const http = await bindServer({ port: config.port, host: config.host });

  const database = await openDatabaseForServer(config, logger);
  if (database.dialect === 'sqlite') startedOnFile = config.databasePath;
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom, { returnPath: config.mailReturnPath }) : null;
  const services = await createServicesOn(database.store, systemClock, {
    ...serviceOptionsOf(config),
    logger,
    mailer,
    ...(database.relay ? { relay: database.relay } : {}),
  });
  if (!mailer) logger.info('SMTP_URL is not set: sign-in links, password resets and sign-up confirmations cannot be mailed (the sign-in page says so)');
  if (attachmentsBesideDatabase) checkAttachmentsDir(config.attachments.dir);
  const staleTemp = services.attachments.store.removeStaleTemp(systemClock.now());
  if (staleTemp > 0) logger.info('removed unfinished attachment files of a stopped process', { files: staleTemp });
  const demo = await database.withStartupLock(async () => {
    const seeded = await seedDefinitions(services, files);
    if (seeded.definitions.length > 0) logger.info('seeded definitions', { ...seeded });
    return seedDemoOnce(config, services, database.created);
  });
  if (demo) printDemo(config, demo);
  for (const refused of services.definitions.refusedRulesets()) {
    const { msg, problems } = describeRefusedRuleset(refused);
    logger.error(msg, { ruleset: refused.name, version: refused.version, problems });
  }
  for (const name of services.definitions.names('ruleset')) {
    const warnings = services.definitions.rulesetWarnings(name);
    if (warnings.length === 0) continue;
    const version = services.definitions.publishedVersion('ruleset', name);
    logger.warn(`The ruleset "${name}" v${version} (the published version) runs, but not quite as written`, { ruleset: name, version, problems: warnings.map((p) => `${p.path}: ${p.message}`) });
  }

  const firstAccounts = await firstAccountsHint(services.store, { adminToken: config.adminToken, publicUrl: config.publicUrl });
  if (firstAccounts) process.stdout.write(`${firstAccounts}\n`);

  const app = createApp(services, { adminToken: config.adminToken, metricsToken: config.metricsToken, secureCookies: config.secureCookies, trustProxy: config.trustProxy, rateLimits: config.rateLimits, definitionFolders: { rulesDir: config.rulesDir, workflowsDir: config.workflowsDir } });
  const deadRuns = await closeDeadRuns(services.store, systemClock.now());
  if (deadRuns > 0) logger.warn('scheduled runs of a stopped process marked failed', { runs: deadRuns });
  const scheduler = startScheduler(serverJobs(services, config), { store: services.store, clock: systemClock, logger });

  // Catch up on what fell due while down (claims of a crashed process, SLA warnings and
  // breaches, the escalations and mail they cause) in the background, in small batches:
  // requests, /health and SIGTERM are answered all the while.
  const catchingUp = catchUp(services).then(
    (done) => {
      if (done.sweep.warnings + done.sweep.breaches > 0) logger.info('caught up on SLA timers', { warnings: done.sweep.warnings, breaches: done.sweep.breaches });
      if (done.outbox.done + done.outbox.failed > 0) logger.info('caught up on pending work', { ...done.outbox });
    },
    (error: unknown) => logger.error('catching up on pending work failed', { error }),
  );

  const smtpReceiver = config.email.smtpPort === null ? null : await startSmtpReceiver(services, { port: config.email.smtpPort }).catch((error: NodeJS.ErrnoException) => {
    const where = `${config.email.smtpHost}:${config.email.smtpPort}`;
    if (!error.code) throw error;
    throw new ConfigError(
      `cannot receive mail on ${where} (INBOUND_SMTP_HOST, INBOUND_SMTP_PORT): ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EACCES' ? 'this user may not bind that port (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' || error.code === 'EADDRNOTAVAIL' ? 'that is not an address of this machine' : error.message} (${error.code}). Fix: set INBOUND_SMTP_PORT to a free port this user may bind (2525, with the MX port forwarded to it) and INBOUND_SMTP_HOST to an address of this machine, or unset INBOUND_SMTP_PORT`,
    );
  });
  if (smtpReceiver) logger.info('receiving mail by SMTP', { port: smtpReceiver.port, for: config.email.supportAddress });
  const imapPoller = config.email.imap ? startImapPoller(services, config.email.imap) : null;
  // The mailboxes managed on /manage/channels: one poller each, restarted when the console changes one.
  // With several instances (a relay), a change made on one reaches the others' pollers.
  const mailboxes = createMailboxSupervisor(services, database.relay ? { relay: database.relay } : {});
  services.mailboxes = mailboxes;
  await mailboxes.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Whatever happens below, the process is gone within SHUTDOWN_GRACE_MS (WAL keeps every commit).
    setTimeout(() => {
      process.stderr.write(`Casebook did not stop within ${SHUTDOWN_GRACE_MS} ms of ${signal}; exiting now\n`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    services.outbox.stop(); // background drains and the catch-up end at their next item
    const closed = http.close(REQUEST_DRAIN_MS).then((drained) => {
      if (drained.cut > 0) logger.warn('requests still running at the end of the drain were cut', { ...drained });
    });
    await scheduler.stop();
    await Promise.all([closed, catchingUp, smtpReceiver?.close(), imapPoller?.stop(), mailboxes.stop(), services.outbox.idle()]);
    mailer?.close();
    await services.store.close();
    await database.close(); // SQLite: checkpointer, file watch, the file, the lock; PostgreSQL: the relay, the pool
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // The terminal it was started from closed, or an operator's habit of "reload": there is no
  // configuration to reload, and Node's default (exit at once) would cut the requests in flight.
  process.on('SIGHUP', () => void stop('SIGHUP'));

  // Only now (signal handlers in place: a SIGTERM from here on is a clean stop) serve the app.
  http.attach(app.fetch);
  logger.info('Casebook is listening', { url: `http://${config.host}:${http.port}`, database: database.where });
  process.stdout.write(`Casebook is running at ${config.publicUrl}\n`);
}

/**
 * The SQLite file once it is open: a write of the rest of start-up (seeding, taking back a dead
 * process's runs) that finds the file locked by another process beyond DATABASE_BUSY_TIMEOUT_MS,
 * or the disk full, stops start-up with the one line access.ts words, not a stack trace.
 */
let startedOnFile: string | null = null;

function startUpFault(error: unknown): DatabaseAccessError | null {
  if (startedOnFile === null || error instanceof DatabaseAccessError) return null;
  const fault = databaseFault(error);
  return fault === 'busy' || fault === 'storageFull' ? databaseAccessError(startedOnFile, error) : null;
}

main().catch((error: unknown) => {
  const fault = startUpFault(error);
  if (fault) {
    process.stderr.write(`Casebook cannot start: ${fault.message}\n`);
  } else if (error instanceof DatabaseAccessError || error instanceof DatabaseInUseError || error instanceof PortInUseError || error instanceof ConfigError || error instanceof ScheduleError) {
    process.stderr.write(`Casebook cannot start: ${error.message}\n`);
  } else if (error instanceof DefinitionFileError) {
    process.stderr.write(`Casebook cannot start:\n${error.message}\n`);
  } else {
    process.stderr.write(`Casebook failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
