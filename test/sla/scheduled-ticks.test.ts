/**
 * Several scheduler instances on one database: every scheduled job claims its tick in the
 * database (job + scheduled time), so the same tick runs once — one report, one mail — however
 * many processes fire it. Two instances in this process on two connections, and two real
 * processes released at the same moment.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { RETENTION_MS } from '../../src/scheduler/claim-tick.js';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { runJobTick, type Job, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { createServices, createServicesOn } from '../../src/compose.js';
import { type Services } from '../../src/services.js';
import { ROOT } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { tsNodeArgs } from '../support/server.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { createDesk, type Desk } from './helpers.js';

const CONFIG = { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4 };
const TICK = Date.parse('2026-03-03T07:00:00Z');
const logger = createLogger('silent');

let smtp: Inbox;
let d: Desk;
const mailers: Mailer[] = [];
const others: Db[] = [];
const instances: Services[] = [];

interface Instance {
  services: Services;
  jobs: Job[];
  options: SchedulerOptions;
}

function newMailer(): Mailer {
  const mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.test>');
  mailers.push(mailer);
  return mailer;
}

/** Another scheduler instance and its own clock: its own connection to the desk's database file (SQLite), its own services on the desk's pool (PostgreSQL). */
async function instance(now: number, owner: string): Promise<Instance> {
  const clock = new ManualClock(now);
  const options = { mailer: newMailer(), logger };
  let services: Services;
  if (ON_POSTGRES) {
    services = await createServicesOn(d.h.services.store, clock, options);
  } else {
    const db = openDatabase(d.h.dbPath);
    others.push(db);
    services = createServices(db, clock, options);
  }
  instances.push(services);
  return { services, jobs: serverJobs(services, CONFIG), options: { store: services.store, clock, logger, owner } };
}

const job = (i: Instance, name: string) => i.jobs.find((j) => j.name === name)!;
const reports = () => d.h.all('SELECT period_start AS "fromMs", period_end AS "toMs", trigger FROM sla_reports ORDER BY id');
const runs = () => d.h.all('SELECT job, scheduled_at AS "scheduledAt", claimed_by AS "claimedBy", state, error FROM job_runs ORDER BY id');

beforeEach(async () => {
  smtp = await startSmtp();
  d = createDesk({ start: TICK - 3_600_000 });
  d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' });
});
afterEach(async () => {
  for (const services of instances.splice(0)) services.outbox.stop();
  for (const db of others.splice(0)) db.$client.close();
  for (const mailer of mailers.splice(0)) mailer.close();
  d.h.close();
  await smtp.close();
});

describe('scheduled job ticks are claimed in the database', () => {
  it('two scheduler instances firing the same tick build one report and send one mail', async () => {
    // The second instance wakes up 6 ms later: before, it reported on those 6 ms.
    const a = await instance(TICK + 2, 'instance-a');
    const b = await instance(TICK + 8, 'instance-b');
    const outcomes = await Promise.all([runJobTick(job(a, 'sla-report'), TICK, a.options), runJobTick(job(b, 'sla-report'), TICK, b.options)]);
    expect(outcomes.map((o) => o.ran).sort()).toEqual([false, true]);
    // The period ends at the scheduled instant, not when the process woke up.
    expect(await reports()).toEqual([{ fromMs: TICK - 86_400_000, toMs: TICK, trigger: 'schedule' }]);
    expect(await runs()).toEqual([{ job: 'sla-report', scheduledAt: TICK, claimedBy: outcomes[0]!.ran ? 'instance-a' : 'instance-b', state: 'done', error: null }]);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.to).toEqual(['mia@casebook.test']);

    // The sweep is claimed per tick too; the next report tick runs again, once.
    const sweeps = await Promise.all([runJobTick(job(a, 'sla-sweep'), TICK, a.options), runJobTick(job(b, 'sla-sweep'), TICK, b.options)]);
    expect(sweeps.filter((o) => o.ran)).toHaveLength(1);
    const next = TICK + 86_400_000;
    (a.options.clock as ManualClock).set(next + 5);
    (b.options.clock as ManualClock).set(next + 1);
    const again = await Promise.all([runJobTick(job(b, 'sla-report'), next, b.options), runJobTick(job(a, 'sla-report'), next, a.options)]);
    expect(again.filter((o) => o.ran)).toHaveLength(1);
    expect(await reports()).toEqual([
      { fromMs: TICK - 86_400_000, toMs: TICK, trigger: 'schedule' },
      { fromMs: TICK, toMs: next, trigger: 'schedule' },
    ]);
    expect(smtp.messages).toHaveLength(2);
  });

  it('records a failing run, never throws, and prunes runs older than the retention', async () => {
    const a = await instance(TICK, 'instance-a');
    const failing: Job = { name: 'flaky', schedule: '* * * * *', run: () => Promise.reject(new Error('disk on fire')) };
    expect(await runJobTick(failing, TICK, a.options)).toMatchObject({ ran: true, error: expect.any(Error) });
    expect(await runJobTick(failing, TICK, a.options)).toEqual({ ran: false });
    expect(await runs()).toEqual([{ job: 'flaky', scheduledAt: TICK, claimedBy: 'instance-a', state: 'failed', error: 'disk on fire' }]);
    const ok: Job = { ...failing, run: () => Promise.resolve('fine') };
    expect(await runJobTick(ok, TICK + RETENTION_MS + 60_000, a.options)).toEqual({ ran: true, result: 'fine' });
    expect(await runs()).toEqual([expect.objectContaining({ job: 'flaky', scheduledAt: TICK + RETENTION_MS + 60_000, state: 'done' })]);
  });

  // SQLite only: two processes on the database file (test/support/run-job-tick.ts); instances on PostgreSQL: test/postgres/instances.test.ts.
  it.skipIf(ON_POSTGRES)('two processes on one database file, released at the same moment, run the tick once', async () => {
    const children = ['p1', 'p2'].map(() => {
      const child = spawn(
        process.execPath,
        tsNodeArgs('test/support/run-job-tick.ts', d.h.dbPath, 'sla-report', new Date(TICK).toISOString(), new Date(TICK + 6).toISOString(), `smtp://127.0.0.1:${smtp.port}`),
        { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
      const lines = readline.createInterface({ input: child.stdout! });
      const output: string[] = [];
      const ready = new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => (line === 'ready' ? resolve() : output.push(line)));
        child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${err}`)));
      });
      const exited = new Promise<{ code: number | null; output: string[]; err: string }>((resolve) => child.once('close', (code) => resolve({ code, output, err })));
      return { child, ready, exited };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin!.write('go\n');
    const results = await Promise.all(children.map((c) => c.exited));
    for (const r of results) expect(r.code, r.err).toBe(0);
    expect(results.map((r) => JSON.parse(r.output.at(-1)!).ran).sort()).toEqual([false, true]);
    expect(await reports()).toEqual([{ fromMs: TICK - 86_400_000, toMs: TICK, trigger: 'schedule' }]);
    expect(await runs()).toEqual([expect.objectContaining({ job: 'sla-report', scheduledAt: TICK, state: 'done' })]);
    expect(smtp.messages).toHaveLength(1);
  }, 60_000);
});
