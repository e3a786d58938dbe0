/**
 * The dashboard's numbers as JSON (`GET /api/v1/metrics`): the same `Dashboard` the reports
 * page renders (buildDashboard), without the case id lists behind each number. Percentages
 * have one decimal and are null without a base; durations are minutes (calendar and business
 * time), with the mean, the median and the p90 (nearest rank, stats.ts).
 */
import type { AttainmentGroup } from './attainment.js';
import type { Dashboard } from './dashboard.js';
import type { DurationMetric } from './durations.js';
import type { Series } from './over-time.js';
import type { Summary } from './stats.js';

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
const iso = (ms: number) => new Date(ms).toISOString();

function minutes(s: Summary) {
  return { mean: round2(s.mean), median: round2(s.median), p90: round2(s.p90) };
}

function duration(m: DurationMetric) {
  return { count: m.count, calendarMinutes: minutes(m.calendar), businessMinutes: minutes(m.business) };
}

function attainmentGroup(g: AttainmentGroup) {
  return { key: g.key, met: g.met, missed: g.missed, percent: g.attainment };
}

function series(s: Series, valueName: 'open' | 'escalations') {
  return { unit: s.unit, points: s.points.map((p) => ({ date: p.bucket.label, start: iso(p.bucket.start), end: iso(p.bucket.end), [valueName]: p.value })) };
}

export function dashboardJson(d: Dashboard, period: { from: string; to: string }) {
  const q = d.query;
  return {
    period: { from: period.from, to: period.to, tz: q.zone, start: iso(q.from), end: iso(q.to) },
    queue: q.queue,
    generatedAt: iso(d.generatedAt),
    csat: { percent: d.csat.percent, satisfied: d.csat.satisfied, ratings: d.csat.ratings },
    churn: { percent: d.churn.percent, churned: d.churn.churned, customers: d.churn.customers },
    processingTime: duration(d.processing),
    firstResponseTime: duration(d.firstResponse),
    slaAttainment: {
      percent: d.attainment.total.attainment,
      met: d.attainment.total.met,
      missed: d.attainment.total.missed,
      byMetric: d.attainment.byMetric.map(attainmentGroup),
      byPolicy: d.attainment.byPolicy.map(attainmentGroup),
    },
    backlog: series(d.backlog, 'open'),
    escalations: { total: d.escalations.points.reduce((n, p) => n + p.value, 0), ...series(d.escalations, 'escalations') },
    agents: d.agents.rows.map((r) => ({
      staffId: r.staffId,
      name: r.staffId === null ? null : r.name,
      firstResponseTime: { count: r.firstResponses.count, calendarMinutes: minutes(r.firstResponses.calendar), businessMinutes: minutes(r.firstResponses.business) },
      met: r.met,
      missed: r.missed,
      percent: r.attainment,
    })),
  };
}
