/**
 * Start-up: read config → load and validate every definition file (a bad file stops here,
 * before the database is touched) → bind the port (a port in use stops here, before the
 * database is touched) → open and migrate the database → seed an empty one → serve HTTP and
 * run the scheduled jobs → catch up on work that fell due while down, in the background.
 */
import { createApiToken } from './auth/api-tokens.js';
import { startImapPoller } from './channels/email/imap.js';
import { startSmtpReceiver } from './channels/email/smtp-receiver.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startCheckpointer } from './db/checkpointer.js';
import { DatabaseAccessError } from './db/access.js';
import { openDatabase } from './db/client.js';
import { DefinitionFileError, loadDefinitionFiles } from './definitions/files.js';
import { describeRefusedRuleset } from './definitions/registry.js';
import { createApp } from './http/app.js';
import { bindServer, PortInUseError } from './http/listen.js';
import { createLogger } from './logger.js';
import { createMailer } from './notifications/mailer.js';
import { serverJobs } from './scheduler/jobs.js';
import { closeDeadRuns } from './scheduler/claim-tick.js';
import { ScheduleError, startScheduler, validateSchedule } from './scheduler/scheduler.js';
import { seedDefinitions } from './seed/seed-definitions.js';
import { seedDemo, type DemoReport } from './seed/seed-demo.js';
import { createServices } from './services.js';
import { catchUp } from './sla/run-sweep.js';
import { registerBuiltinActions } from './workflow/actions/index.js';
import { ActionRegistry } from './workflow/registry.js';
import { eq } from 'drizzle-orm';
import { staff } from './db/schema/index.js';

/** How long shutdown may take (in-flight requests, the item being performed) before exiting anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function printDemo(config: Config, report: DemoReport, token: string): void {
  const width = Math.max(...report.accounts.map((a) => a.email.length));
  const lines = [
    '',
    'Casebook demo data created (shown once).',
    `Sign in at ${config.publicUrl}/login with the password: ${report.password}`,
    ...report.accounts.map((a) => `  ${a.email.padEnd(width)}  ${a.role.padEnd(8)}  ${a.name}`),
    `Demo admin API token: ${token}`,
    `  curl -H "Authorization: Bearer ${token}" ${config.publicUrl}/api/v1/cases`,
    `Demo cases: ${report.cases.join(', ')}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  validateSchedule('SLA_SWEEP_CRON', config.slaSweepCron);
  validateSchedule('REPORT_CRON', config.reportCron);

  const files = loadDefinitionFiles({
    workflowsDir: config.workflowsDir,
    rulesDir: config.rulesDir,
    actions: registerBuiltinActions(new ActionRegistry()),
  });
  if (!files.workflows.has(config.defaultWorkflow)) {
    throw new ConfigError(`DEFAULT_WORKFLOW is "${config.defaultWorkflow}" but ${config.workflowsDir} has no ${config.defaultWorkflow}.json`);
  }

  // Bind the port before the database is opened: a port in use stops here, nothing written.
  const http = await bindServer({ port: config.port, host: config.host });

  const db = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  const checkpointer = config.walCheckpoints === 'worker' ? startCheckpointer(db, config.databasePath, logger, { walSizeLimit: config.walSizeLimit }) : null;
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom) : null;
  const services = createServices(db, systemClock, { logger, mailer, publicUrl: config.publicUrl, defaultWorkflow: config.defaultWorkflow, queueWaitAlertMinutes: config.queueWaitAlertMinutes, email: config.email, rulesEngine: config.rulesEngine });
  const seeded = seedDefinitions(services, files);
  if (seeded.definitions.length > 0) logger.info('seeded definitions', { ...seeded });
  for (const refused of services.definitions.refusedRulesets()) {
    const { msg, problems } = describeRefusedRuleset(refused);
    logger.error(msg, { ruleset: refused.name, version: refused.version, problems });
  }

  if (!config.seedDemo && config.seedDemoSource === 'production-default') {
    process.stdout.write('No demo data: NODE_ENV=production turns SEED_DEMO off (set SEED_DEMO=true to seed the demo accounts anyway).\n');
  }
  if (config.seedDemo && config.seedDemoSource === 'explicit' && process.env.NODE_ENV === 'production') {
    logger.warn('SEED_DEMO=true with NODE_ENV=production: an empty database gets the demo accounts, an admin among them');
  }
  if (config.seedDemo) {
    const report = await seedDemo(services, { password: process.env.DEMO_PASSWORD ?? '' });
    if (report) {
      const admin = db.select().from(staff).where(eq(staff.email, 'admin@casebook.test')).get()!;
      const { token } = createApiToken(db, { type: 'staff', id: admin.id }, 'demo token', systemClock.now());
      printDemo(config, report, token);
    }
  }

  const app = createApp(services, { adminToken: config.adminToken, secureCookies: config.secureCookies, trustProxy: config.trustProxy, rateLimits: config.rateLimits, definitionFolders: { rulesDir: config.rulesDir, workflowsDir: config.workflowsDir } });
  const deadRuns = closeDeadRuns(db, systemClock.now());
  if (deadRuns > 0) logger.warn('scheduled runs of a stopped process marked failed', { runs: deadRuns });
  const scheduler = startScheduler(serverJobs(services, config), { db, clock: systemClock, logger });

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

  const smtpReceiver = config.email.smtpPort === null ? null : await startSmtpReceiver(services, { port: config.email.smtpPort });
  if (smtpReceiver) logger.info('receiving mail by SMTP', { port: smtpReceiver.port, for: config.email.supportAddress });
  const imapPoller = config.email.imap ? startImapPoller(services, config.email.imap) : null;

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
    const closed = http.close();
    await scheduler.stop();
    await Promise.all([closed, catchingUp, smtpReceiver?.close(), imapPoller?.stop(), services.outbox.idle()]);
    await checkpointer?.stop();
    mailer?.close();
    db.$client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // Only now (signal handlers in place: a SIGTERM from here on is a clean stop) serve the app.
  http.attach(app.fetch);
  logger.info('Casebook is listening', { url: `http://${config.host}:${http.port}`, database: config.databasePath });
  process.stdout.write(`Casebook is running at ${config.publicUrl}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof DatabaseAccessError || error instanceof PortInUseError) {
    process.stderr.write(`Casebook cannot start: ${error.message}\n`);
  } else if (error instanceof DefinitionFileError || error instanceof ConfigError || error instanceof ScheduleError) {
    process.stderr.write(`Casebook cannot start:\n${error.message}\n`);
  } else {
    process.stderr.write(`Casebook failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
