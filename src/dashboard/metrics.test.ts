/** Every dashboard metric on a seeded week (test/support/manage-history.ts), with exact values. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../reports/build-report.js';
import { berlinMs, buildHistory, ZONE, type History } from '../../test/support/manage-history.js';
import { attainment } from './attainment.js';
import { churn } from './churn.js';
import { csat } from './csat.js';
import { byAgent } from './by-agent.js';
import { buildDashboard, drillDown, type DrillSpec } from './dashboard.js';
import { firstResponseTime, processingTime } from './durations.js';
import { backlog, escalations } from './over-time.js';
import { periodOf, type DashboardQuery } from './period.js';
import { LONG_READS, type Handle } from '../db/store/index.js';
import { dashboardJson } from './metrics-json.js';

let hist: History;
let week: DashboardQuery;
const q = (over: Partial<DashboardQuery> = {}): DashboardQuery => ({ ...week, ...over });
/** A metric read in a read transaction of the store, as the dashboard reads it. */
const read = <T,>(fn: (tx: Handle) => Promise<T>): Promise<T> => hist.h.services.store.read(fn);

beforeAll(async () => {
  hist = await buildHistory();
  week = { ...hist.week, queue: null, zone: ZONE };
}, 60_000);
afterAll(() => hist.h.close());

describe('the seeded week', () => {
  it('routed, escalated and resolved the cases as the story says', async () => {
    const rows = hist.h.db.$client.prepare('SELECT id, queue_id AS queue, open, status FROM cases ORDER BY id').all();
    const { A, B, C, D, E } = hist.ids;
    expect(rows).toEqual([
      { id: A, queue: 'general', open: 0, status: 'closed' }, // auto-closed Thu 12:00, 72 h after resolving
      { id: B, queue: 'billing', open: 0, status: 'resolved' },
      { id: C, queue: 'advanced', open: 0, status: 'resolved' },
      { id: D, queue: 'advanced', open: 1, status: 'escalated' },
      { id: E, queue: 'general', open: 1, status: 'open' },
    ]);
    expect(week.from).toBe(Date.parse('2026-03-01T23:00:00Z'));
    expect(week.to).toBe(Date.parse('2026-03-08T23:00:00Z'));
    expect(periodOf('2026-03-02', '2026-03-08', ZONE)).toEqual(hist.week);
  });
});

describe('CSAT % = satisfied ratings / all ratings × 100', () => {
  it('over the ratings given in the period', async () => {
    const { A, B, C } = hist.ids;
    expect((await read((tx) => csat(tx, q())))).toEqual({ ratings: 3, satisfied: 2, percent: 66.7, ratedCaseIds: [A, C, B], satisfiedCaseIds: [A, C] });
    // Monday only: A.
    expect((await read((tx) => csat(tx, q({ to: berlinMs('2026-03-03T00:00') }))))).toMatchObject({ ratings: 1, satisfied: 1, percent: 100 });
    // Nothing rated on Thursday.
    expect((await read((tx) => csat(tx, q({ from: berlinMs('2026-03-05T00:00') }))))).toMatchObject({ ratings: 0, satisfied: 0, percent: null });
  });

  it('per queue: the case’s queue', async () => {
    expect((await read((tx) => csat(tx, q({ queue: 'general' }))))).toMatchObject({ ratings: 1, satisfied: 1, percent: 100 });
    expect((await read((tx) => csat(tx, q({ queue: 'billing' }))))).toMatchObject({ ratings: 1, satisfied: 0, percent: 0 });
    expect((await read((tx) => csat(tx, q({ queue: 'advanced' }))))).toMatchObject({ ratings: 1, satisfied: 1, percent: 100 });
  });
});

describe('churn % = customers churned in the period and still churned at its end / customers at its start × 100', () => {
  it('counts marks in the period that still hold at its end, over the customers at its start', async () => {
    const { erin, fay, dave } = hist.customers;
    // At the start of the week: Chloe, Dave, Erin and Fay (Gus had churned before it, Hal came
    // later); Fay and Erin churned in the week; Dave churned and came back.
    expect((await read((tx) => churn(tx, q())))).toEqual({ customers: 4, churned: 2, percent: 50, churnedCustomerIds: [erin.id, fay.id] });
    // Monday and Tuesday: Dave was churned at the end of Tuesday.
    expect((await read((tx) => churn(tx, q({ to: berlinMs('2026-03-04T00:00') }))))).toEqual({ customers: 4, churned: 1, percent: 25, churnedCustomerIds: [dave.id] });
    // The week after: Chloe and Dave are customers at its start (Erin, Fay and Gus churned
    // before it); Hal, who joined during it, is in neither number. Nobody churned.
    expect((await read((tx) => churn(tx, q({ from: week.to, to: berlinMs('2026-03-16T00:00') }))))).toEqual({ customers: 2, churned: 0, percent: 0, churnedCustomerIds: [] });
    // Before anyone existed.
    expect((await read((tx) => churn(tx, q({ from: berlinMs('2026-02-20T00:00'), to: berlinMs('2026-02-27T00:00') }))))).toMatchObject({ customers: 0, percent: null });
  });

  it('per queue: the customers at the start who had a case in that queue', async () => {
    const { erin, fay } = hist.customers;
    expect((await read((tx) => churn(tx, q({ queue: 'general' }))))).toEqual({ customers: 1, churned: 0, percent: 0, churnedCustomerIds: [] });
    expect((await read((tx) => churn(tx, q({ queue: 'advanced' }))))).toEqual({ customers: 2, churned: 2, percent: 100, churnedCustomerIds: [erin.id, fay.id] });
    expect((await read((tx) => churn(tx, q({ queue: 'technical' }))))).toEqual({ customers: 0, churned: 0, percent: null, churnedCustomerIds: [] });
  });
});

describe('processing time = resolved_at − created_at over cases resolved in the period', () => {
  it('average, median and p90 in calendar and business minutes', async () => {
    const { A, B, C } = hist.ids;
    const m = await read((tx) => processingTime(tx, hist.h.services, q()));
    // A 2h (office hours); B Mon 16:00 → Wed 10:00 = 42h, 1h + 8h + 1h business; C (24x7) Tue 10:00 → Thu 09:00 = 47h.
    expect(m.rows.map((r) => [r.caseId, r.calendarMinutes, r.businessMinutes])).toEqual([
      [A, 120, 120],
      [B, 2520, 600],
      [C, 2820, 2820],
    ]);
    expect(m.calendar).toEqual({ count: 3, total: 5460, mean: 1820, median: 2520, p90: 2820 });
    expect(m.business).toEqual({ count: 3, total: 3540, mean: 1180, median: 600, p90: 2820 });
  });

  it('a reopened case counts once, at its latest resolution; per queue: the case’s queue', async () => {
    const { B, C } = hist.ids;
    // Before Thursday C counted nowhere: its Tuesday resolution was undone by the reopen.
    expect((await read((tx) => processingTime(tx, hist.h.services, q({ to: berlinMs('2026-03-05T00:00') })))).rows.map((r) => r.caseId)).toEqual([hist.ids.A, B]);
    expect((await read((tx) => processingTime(tx, hist.h.services, q({ queue: 'billing' })))).calendar).toEqual({ count: 1, total: 2520, mean: 2520, median: 2520, p90: 2520 });
    expect((await read((tx) => processingTime(tx, hist.h.services, q({ queue: 'advanced' })))).rows.map((r) => r.caseId)).toEqual([C]);
    expect((await read((tx) => processingTime(tx, hist.h.services, q({ queue: 'technical' })))).calendar).toEqual({ count: 0, total: 0, mean: null, median: null, p90: null });
  });
});

describe('first-response time over cases whose first public staff reply fell in the period', () => {
  it('median and p90 in calendar and business minutes; internal notes do not count', async () => {
    const { A, B, C, E } = hist.ids;
    const m = await read((tx) => firstResponseTime(tx, hist.h.services, q()));
    // B: Mon 16:00 → Tue 09:30 (1h Mon + 30 min Tue business); E: Thu 11:00 → Fri 09:00 (the Thu 15:00 note does not count).
    expect(m.rows.map((r) => [r.caseId, r.calendarMinutes, r.businessMinutes])).toEqual([
      [A, 30, 30],
      [B, 1050, 90],
      [C, 180, 180],
      [E, 1320, 360],
    ]);
    expect(m.calendar).toEqual({ count: 4, total: 2580, mean: 645, median: 180, p90: 1320 });
    expect(m.business).toEqual({ count: 4, total: 660, mean: 165, median: 90, p90: 360 });
    expect((await read((tx) => firstResponseTime(tx, hist.h.services, q({ queue: 'general' })))).calendar).toMatchObject({ count: 2, median: 30, p90: 1320 });
    expect((await read((tx) => firstResponseTime(tx, hist.h.services, q({ to: berlinMs('2026-03-03T10:00') })))).rows.map((r) => r.caseId)).toEqual([A, B]);
  });
});

describe('SLA attainment per metric and per policy (the scheduled report’s definition)', () => {
  it('met = first fulfilment without a breach, missed = a breach, both in the period', async () => {
    const { A, B, C, D, E } = hist.ids;
    const m = await read((tx) => attainment(tx, q()));
    expect(m.total).toMatchObject({ met: 6, missed: 3, attainment: 66.7, metCaseIds: [A, A, B, C, B, E], missedCaseIds: [C, C, D] });
    expect(m.byMetric.map(({ key, met, missed, attainment: a }) => ({ key, met, missed, a }))).toEqual([
      { key: 'firstResponse', met: 3, missed: 2, a: 60 },
      { key: 'resolution', met: 3, missed: 1, a: 75 },
    ]);
    expect(m.byPolicy.map(({ key, met, missed, attainment: a }) => ({ key, met, missed, a }))).toEqual([
      { key: 'premium', met: 1, missed: 2, a: 33.3 },
      { key: 'standard', met: 5, missed: 1, a: 83.3 },
    ]);
    // The same numbers as the scheduled report for the same period.
    const report = await buildReport(hist.h.services, { from: week.from, to: week.to });
    expect(report.attainment.byPolicy.map((r) => [r.key, r.met, r.missed, r.attainment])).toEqual(m.byPolicy.map((g) => [g.key, g.met, g.missed, g.attainment]));
    expect(report.totals).toMatchObject({ met: 6, missed: 3, attainment: 66.7 });
  });

  it('per queue: the queue recorded with the outcome', async () => {
    const general = await read((tx) => attainment(tx, q({ queue: 'general' })));
    expect(general.total).toMatchObject({ met: 3, missed: 2, attainment: 60 });
    expect((await read((tx) => attainment(tx, q({ queue: 'advanced' })))).total).toMatchObject({ met: 1, missed: 1, attainment: 50 });
    expect((await read((tx) => attainment(tx, q({ queue: 'billing' })))).total).toMatchObject({ met: 2, missed: 0, attainment: 100 });
    expect((await read((tx) => attainment(tx, q({ queue: 'technical' })))).total).toMatchObject({ met: 0, missed: 0, attainment: null });
  });
});

describe('backlog and escalations over time', () => {
  it('backlog: open cases at the end of each day, reopened cases counted again; days not started left out', async () => {
    const { B, C, D, E } = hist.ids;
    const all = await read((tx) => backlog(tx, hist.h.services, q()));
    expect(all.unit).toBe('day');
    expect(all.points.map((p) => [p.bucket.label, p.value])).toEqual([
      ['2026-03-02', 1],
      ['2026-03-03', 1],
      ['2026-03-04', 2],
      ['2026-03-05', 2],
      ['2026-03-06', 2],
    ]);
    expect((await read((tx) => backlog(tx, hist.h.services, q(), 0))).caseIds).toEqual([B]);
    expect((await read((tx) => backlog(tx, hist.h.services, q(), 2))).caseIds).toEqual([C, D]);
    expect((await read((tx) => backlog(tx, hist.h.services, q(), 4))).caseIds).toEqual([D, E]);
  });

  it('backlog: a case unchanged since before the period counts by its row, a changed one by its timeline', async () => {
    // Friday: D (advanced) last changed on Thursday (its escalation), so it counts without its
    // timeline; E (general) had a reply on Friday morning and is replayed; A, B and C were
    // resolved or closed before Friday and count nowhere.
    const { D, E } = hist.ids;
    const friday = q(periodOf('2026-03-06', '2026-03-06', ZONE));
    const values = async (queue: string | null) => (await read((tx) => backlog(tx, hist.h.services, { ...friday, queue }))).points.map((p) => [p.bucket.label, p.value]);
    expect(await values(null)).toEqual([['2026-03-06', 2]]);
    expect(await values('advanced')).toEqual([['2026-03-06', 1]]);
    expect(await values('general')).toEqual([['2026-03-06', 1]]);
    expect(await values('billing')).toEqual([['2026-03-06', 0]]);
    expect((await read((tx) => backlog(tx, hist.h.services, friday, 0))).caseIds).toEqual([D, E]);
    expect((await read((tx) => backlog(tx, hist.h.services, { ...friday, queue: 'advanced' }, 0))).caseIds).toEqual([D]);
  });

  it('backlog per queue follows escalations and transfers', async () => {
    const values = async (queue: string) => (await read((tx) => backlog(tx, hist.h.services, q({ queue })))).points.map((p) => p.value);
    expect(await values('general')).toEqual([0, 0, 1, 1, 1]);
    expect(await values('advanced')).toEqual([0, 0, 1, 1, 1]);
    expect(await values('billing')).toEqual([1, 1, 0, 0, 0]);
  });

  it('escalations per day; per queue: out of or into it', async () => {
    const { C, D } = hist.ids;
    const all = await read((tx) => escalations(tx, q()));
    expect(all.points.map((p) => p.value)).toEqual([0, 1, 0, 1, 0, 0, 0]);
    expect(all.caseIds).toEqual([[], [C], [], [D], [], [], []]);
    expect((await read((tx) => escalations(tx, q({ queue: 'general' })))).points.map((p) => p.value)).toEqual([0, 1, 0, 1, 0, 0, 0]);
    expect((await read((tx) => escalations(tx, q({ queue: 'advanced' })))).points.map((p) => p.value)).toEqual([0, 1, 0, 1, 0, 0, 0]);
    expect((await read((tx) => escalations(tx, q({ queue: 'billing' })))).points.map((p) => p.value)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('weeks for periods longer than 31 days, cut in the zone (the DST change on 29 March)', async () => {
    const five = q({ ...periodOf('2026-03-02', '2026-04-05', ZONE) });
    const e = await read((tx) => escalations(tx, five));
    expect(e.unit).toBe('week');
    expect(e.points.map((p) => [p.bucket.label, (p.bucket.end - p.bucket.start) / 3_600_000, p.value])).toEqual([
      ['2026-03-02', 168, 2],
      ['2026-03-09', 168, 0],
      ['2026-03-16', 168, 0],
      ['2026-03-23', 167, 0],
      ['2026-03-30', 168, 0],
    ]);
    expect((await read((tx) => backlog(tx, hist.h.services, five))).points.map((p) => [p.bucket.label, p.value])).toEqual([['2026-03-02', 2]]);
  });
});

describe('per agent: first responses by who gave them, SLA outcomes by who held the case', () => {
  const agents = (over: Partial<DashboardQuery> = {}) =>
    read(async (tx) => byAgent(tx, q(over), await firstResponseTime(tx, hist.h.services, q(over)), await attainment(tx, q(over))));
  const brief = (rows: Awaited<ReturnType<typeof agents>>['rows']) =>
    rows.map((r) => ({ name: r.name, count: r.firstResponses.count, calendar: [r.firstResponses.calendar.median, r.firstResponses.calendar.p90], business: [r.firstResponses.business.median, r.firstResponses.business.p90], met: r.met, missed: r.missed, attainment: r.attainment }));

  it('Alice answered A, B and E first and held C when its first response breached; Dana answered C and held it when its reopened resolution breached', async () => {
    const m = await agents();
    // Alice: A 30 min (30 business), B Mon 16:00 → Tue 09:30 = 1050 (60 + 30 business), E Thu 11:00 → Fri 09:00 = 1320 (360 business);
    // met: A's first response and resolution, B's first response and resolution, E's first response; missed: C's first
    // response (Tue 12:01, assigned to her until the escalation it caused) and D's (Thu 10:01).
    // Dana: C's first reply Tue 10:00 → 13:00 (24x7); met C's resolution Tue 15:00, missed it Thu 08:00 after the reopen.
    expect(brief(m.rows)).toEqual([
      { name: 'Alice', count: 3, calendar: [1050, 1320], business: [90, 360], met: 5, missed: 2, attainment: 71.4 },
      { name: 'Dana', count: 1, calendar: [180, 180], business: [180, 180], met: 1, missed: 1, attainment: 50 },
    ]);
    // The rows add up to the dashboard's totals.
    const d = await buildDashboard(hist.h.services, q());
    expect(d.agents.rows.reduce((n, r) => n + r.met, 0)).toBe(d.attainment.total.met);
    expect(d.agents.rows.reduce((n, r) => n + r.missed, 0)).toBe(d.attainment.total.missed);
    expect(d.agents.rows.reduce((n, r) => n + r.firstResponses.count, 0)).toBe(d.firstResponse.count);
  });

  it('with a queue: the queue’s first responses and outcomes, and every active member of the queue', async () => {
    // general: A and E answered by Alice; outcomes recorded in general: A ×2, E, and the breaches of C and D (both Alice's).
    expect(brief((await agents({ queue: 'general' })).rows)).toEqual([{ name: 'Alice', count: 2, calendar: [30, 1320], business: [30, 360], met: 3, missed: 2, attainment: 60 }]);
    // advanced: C (Dana's); Alice is no member, and has nothing there.
    expect(brief((await agents({ queue: 'advanced' })).rows)).toEqual([{ name: 'Dana', count: 1, calendar: [180, 180], business: [180, 180], met: 1, missed: 1, attainment: 50 }]);
    // technical: nothing happened, Alice works it.
    expect(brief((await agents({ queue: 'technical' })).rows)).toEqual([{ name: 'Alice', count: 0, calendar: [null, null], business: [null, null], met: 0, missed: 0, attainment: null }]);
  });

  it('each count lists its cases', async () => {
    const { A, B, C, D, E } = hist.ids;
    const alice = `${hist.alice.id}`;
    expect((await drillDown(hist.h.services, q(), { metric: 'first-response', agent: alice })).rows.map((r) => r.id)).toEqual([A, B, E]);
    expect((await drillDown(hist.h.services, q(), { metric: 'attainment', group: 'agent', key: alice, outcome: 'missed' })).rows.map((r) => r.id)).toEqual([C, D]);
    const dana = await drillDown(hist.h.services, q(), { metric: 'attainment', group: 'agent', key: `${hist.dana.id}`, outcome: 'met' });
    expect([dana.title, dana.rows.map((r) => r.id)]).toEqual(['SLA targets met (agent Dana)', [C]]);
    expect((await drillDown(hist.h.services, q(), { metric: 'attainment', group: 'agent', key: 'none', outcome: 'missed' })).rows).toEqual([]);
  });
});

describe('read a page at a time', () => {
  afterEach(() => Object.assign(LONG_READS, pages));
  const pages = { ...LONG_READS };

  it('gives the same numbers and drill-downs with pages of one row, letting the event loop run between them', async () => {
    const queries = [q(), q({ queue: 'general' }), q({ queue: 'advanced' }), q(periodOf('2026-03-04', '2026-03-06', ZONE))];
    const specs: DrillSpec[] = [
      { metric: 'first-response' },
      { metric: 'processing' },
      { metric: 'backlog', bucket: 2 },
      { metric: 'attainment', group: 'all', key: 'all', outcome: 'met' },
      { metric: 'attainment', group: 'agent', key: `${hist.alice.id}`, outcome: 'missed' },
    ];
    const everything = async () => {
      const out: unknown[] = [];
      for (const query of queries) {
        out.push(dashboardJson(await buildDashboard(hist.h.services, query), { from: '', to: '' }));
        for (const spec of specs) out.push(await drillDown(hist.h.services, query, spec));
      }
      return out;
    };
    const whole = await everything();
    Object.assign(LONG_READS, { rowsPerPage: 1, idsPerPage: 1, sliceMs: 0 });
    expect(await everything()).toEqual(whole);
  });
});

describe('the dashboard and its drill-downs', () => {
  it('builds every metric, and each number lists the cases or customers behind it', async () => {
    const { A, B, C, D } = hist.ids;
    const d = await buildDashboard(hist.h.services, q());
    expect(d.csat.percent).toBe(66.7);
    expect((await drillDown(hist.h.services, q(), { metric: 'csat-satisfied' })).rows.map((r) => r.id)).toEqual([A, C]);
    const rated = await drillDown(hist.h.services, q(), { metric: 'csat' });
    expect(rated.kind === 'cases' && rated.rows.map((r) => [r.ref, r.detail])).toEqual([
      [`C-${A}`, 'satisfied'],
      [`C-${C}`, 'satisfied'],
      [`C-${B}`, 'not satisfied'],
    ]);
    const churned = await drillDown(hist.h.services, q(), { metric: 'churn' });
    expect(churned.kind).toBe('customers');
    expect(churned.kind === 'customers' && churned.rows.map((r) => r.name)).toEqual(['Erin', 'Fay']);
    const processing = await drillDown(hist.h.services, q(), { metric: 'processing' });
    expect(processing.rows.map((r) => (r as { detail: string }).detail)).toEqual([
      '120 min calendar, 120 min business',
      '2520 min calendar, 600 min business',
      '2820 min calendar, 2820 min business',
    ]);
    expect((await drillDown(hist.h.services, q(), { metric: 'attainment', group: 'policy', key: 'premium', outcome: 'missed' })).rows.map((r) => r.id)).toEqual([C, C]);
    expect((await drillDown(hist.h.services, q(), { metric: 'attainment', group: 'metric', key: 'firstResponse', outcome: 'missed' })).rows.map((r) => r.id)).toEqual([C, D]);
    // what counted, in words and in the report's zone (never an ISO string or a metric's internal name)
    const missed = (await drillDown(hist.h.services, q({ zone: 'Europe/Berlin' }), { metric: 'attainment', group: 'metric', key: 'firstResponse', outcome: 'missed' })).rows;
    for (const r of missed) expect((r as { detail: string }).detail).toMatch(/^First response, policy \w+, queue \w+: missed \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} CES?T$/);
    expect((await drillDown(hist.h.services, q(), { metric: 'backlog', bucket: 3 })).rows.map((r) => r.id)).toEqual([D, hist.ids.E]);
    expect((await drillDown(hist.h.services, q(), { metric: 'escalations', bucket: 1 })).rows.map((r) => r.id)).toEqual([C]);
    expect((await drillDown(hist.h.services, q(), { metric: 'escalations', bucket: 99 })).rows).toEqual([]);
  });
});
