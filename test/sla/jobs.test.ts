/** The scheduled jobs as wired for the server, and who may run the sweep by hand. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { validateSchedule } from '../../src/scheduler/scheduler.js';
import { berlin, createDesk, type Desk } from './helpers.js';

let d: Desk;
beforeEach(() => {
  d = createDesk();
});
afterEach(() => d.h.close());

describe('server jobs', () => {
  it('sweeps then drains on SLA_SWEEP_CRON and builds the report on REPORT_CRON in REPORT_TIMEZONE', async () => {
    const jobs = serverJobs(d.h.services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'Europe/Berlin', reportAtRiskHours: 4 });
    expect(jobs.map((j) => [j.name, j.schedule, j.timezone])).toEqual([
      ['sla-sweep', '* * * * *', undefined],
      ['chat-sweep', '*/10 * * * * *', undefined],
      ['sla-report', '0 7 * * *', 'Europe/Berlin'],
      ['idempotency-purge', '7 * * * *', undefined],
      ['rate-limit-purge', '17 * * * *', undefined],
      ['dry-run-purge', '27 * * * *', undefined],
    ]);
    for (const job of jobs) expect(() => validateSchedule(job.name, job.schedule)).not.toThrow();

    const id = await d.create();
    d.h.clock.set(berlin('2026-03-03T10:01')); // due 10:00: the tick after it breaches
    expect(await jobs[0]!.run({ scheduledAt: d.h.clock.now() })).toMatchObject({ sweep: { breaches: 1 }, outbox: { failed: 0 } });
    expect(await d.get(id)).toMatchObject({ queue: 'advanced', tier: 2 });

    d.h.clock.set(berlin('2026-03-04T07:00'));
    const built = (await jobs.find((j) => j.name === 'sla-report')!.run({ scheduledAt: d.h.clock.now() })) as { id: number; delivery: string };
    expect(built.delivery).toBe('none');
    const report = (await d.call('GET', `/api/v1/reports/${built.id}`)).json;
    expect(report).toMatchObject({ trigger: 'schedule', periodStart: berlin('2026-03-03T07:00'), periodEnd: berlin('2026-03-04T07:00'), totals: { breaches: 1, escalations: 1 } });
    expect(report.summary.timezone).toBe('Europe/Berlin');
  });

  it('lets only admins run the sweep by hand', async () => {
    const manager = d.h.tokenFor(d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' }));
    expect((await d.call('POST', '/api/v1/sla/sweep', manager)).status).toBe(403);
    expect((await d.call('POST', '/api/v1/sla/sweep', d.aliceToken)).status).toBe(403);
    expect((await d.call('POST', '/api/v1/sla/sweep', d.chloeToken)).status).toBe(403);
    expect((await d.h.api('POST', '/api/v1/sla/sweep')).status).toBe(401);
    expect((await d.call('POST', '/api/v1/sla/sweep')).status).toBe(200);
    expect((await d.call('GET', '/api/v1/sla-config', d.chloeToken)).status).toBe(403);
  });
});
