/**
 * A separate process running one scheduled job tick on a database file, as a server's cron
 * callback would (`runJobTick`), for tests of several processes on one database.
 *
 *   node --import tsx test/support/run-job-tick.ts <db> <job> <scheduledAt ISO> <now ISO> <smtp url>
 *
 * It opens the database, prints `ready`, waits for a line on stdin (so the test can release
 * several processes at once), runs the tick and prints `{"ran":true|false}`.
 */
import readline from 'node:readline';
import { ManualClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { runJobTick } from '../../src/scheduler/scheduler.js';
import { createServices } from '../../src/compose.js';

const [dbPath, jobName, scheduledAt, now, smtpUrl] = process.argv.slice(2) as [string, string, string, string, string];
const db = openDatabase(dbPath);
const clock = new ManualClock(now);
const mailer = createMailer(smtpUrl, 'Casebook <casebook@example.test>');
const logger = createLogger('warn');
const services = createServices(db, clock, { mailer, logger });
const job = serverJobs(services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4 }).find((j) => j.name === jobName);
if (!job) throw new Error(`no job ${jobName}`);

process.stdout.write('ready\n');
const lines = readline.createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const outcome = await runJobTick(job, Date.parse(scheduledAt), { store: services.store, clock, logger, owner: `test-process-${process.pid}` });
process.stdout.write(JSON.stringify({ ran: outcome.ran, error: 'error' in outcome ? String(outcome.error) : undefined }) + '\n');
services.outbox.stop();
mailer.close();
await services.store.close();
db.$client.close();
