/**
 * Start-up: read config → load and validate every definition file (a bad file stops here,
 * before the database is touched) → open and migrate the database → seed an empty one →
 * catch up on work that fell due while down → serve HTTP and run the scheduled jobs.
 */
import { serve } from '@hono/node-server';
import { createApiToken } from './auth/api-tokens.js';
import { startSmtpReceiver } from './channels/email/smtp-receiver.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startCheckpointer } from './db/checkpointer.js';
import { DatabaseAccessError } from './db/access.js';
import { openDatabase } from './db/client.js';
import { DefinitionFileError, loadDefinitionFiles } from './definitions/files.js';
import { describeRefusedRuleset } from './definitions/registry.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { createMailer } from './notifications/mailer.js';
import { serverJobs } from './scheduler/jobs.js';
import { ScheduleError, startScheduler, validateSchedule } from './scheduler/scheduler.js';
import { seedDefinitions } from './seed/seed-definitions.js';
import { seedDemo, type DemoReport } from './seed/seed-demo.js';
import { createServices } from './services.js';
import { drainOutboxFully } from './sla/run-sweep.js';
import { sweepSla } from './sla/sweep.js';
import { registerBuiltinActions } from './workflow/actions/index.js';
import { ActionRegistry } from './workflow/registry.js';
import { eq } from 'drizzle-orm';
import { staff } from './db/schema/index.js';

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

  const db = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  const checkpointer = config.walCheckpoints === 'worker' ? startCheckpointer(db, config.databasePath, logger) : null;
  const mailer = config.smtpUrl ? createMailer(config.smtpUrl, config.mailFrom) : null;
  const services = createServices(db, systemClock, { logger, mailer, publicUrl: config.publicUrl, defaultWorkflow: config.defaultWorkflow, queueWaitAlertMinutes: config.queueWaitAlertMinutes, email: config.email });
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

  // Record the SLA warnings and breaches that fell due while down (exactly once, fast) before
  // serving; the work they cause (escalations, mail) drains in the background once listening.
  const swept = await sweepSla(services);
  if (swept.warnings + swept.breaches > 0) logger.info('caught up on SLA timers', { warnings: swept.warnings, breaches: swept.breaches });

  const app = createApp(services, { adminToken: config.adminToken, secureCookies: config.secureCookies, trustProxy: config.trustProxy, rateLimits: config.rateLimits, definitionFolders: { rulesDir: config.rulesDir, workflowsDir: config.workflowsDir } });
  const scheduler = startScheduler(serverJobs(services, config), { db, clock: systemClock, logger });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info('Casebook is listening', { url: `http://${info.address}:${info.port}`, database: config.databasePath });
    process.stdout.write(`Casebook is running at ${config.publicUrl}\n`);
    void drainOutboxFully(services).then(
      (done) => done.done + done.failed > 0 && logger.info('caught up on pending work', { ...done }),
      (error: unknown) => logger.error('catching up on pending work failed', { error }),
    );
  });

  const smtpReceiver = config.email.smtpPort === null ? null : await startSmtpReceiver(services, { port: config.email.smtpPort });
  if (smtpReceiver) logger.info('receiving mail by SMTP', { port: smtpReceiver.port, for: config.email.supportAddress });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    services.outbox.stop();
    await scheduler.stop();
    server.close();
    await smtpReceiver?.close();
    await services.outbox.idle();
    await checkpointer?.stop();
    mailer?.close();
    db.$client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof DatabaseAccessError) {
    process.stderr.write(`Casebook cannot start: ${error.message}\n`);
  } else if (error instanceof DefinitionFileError || error instanceof ConfigError || error instanceof ScheduleError) {
    process.stderr.write(`Casebook cannot start:\n${error.message}\n`);
  } else {
    process.stderr.write(`Casebook failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
