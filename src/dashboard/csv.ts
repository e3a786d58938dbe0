/**
 * CSV downloads of the dashboard: one file per chart holding exactly the chart's data, one
 * for the headline numbers and one per drill-down list. RFC 4180 and the formula guard of
 * the SLA report (`csvCell`): CRLF line ends, every text field quoted, and a quote put
 * before = + - @ TAB CR or LF wherever a cell could start under any common separator
 * (, ; TAB | and line breaks; the field's start too). Times are ISO 8601 UTC; minutes have 2 decimals.
 */
import { csvCell } from '../reports/render-csv.js';
import type { AttainmentGroup } from './attainment.js';
import type { AgentMetric } from './by-agent.js';
import type { Dashboard, Drill } from './dashboard.js';
import type { DurationMetric } from './durations.js';
import type { Series } from './over-time.js';
import type { Summary } from './stats.js';

type Cell = string | number | null | undefined;

export function toCsv(columns: readonly string[], rows: readonly Cell[][]): string {
  return [columns.join(','), ...rows.map((row) => row.map((cell) => csvCell(cell)).join(','))].join('\r\n') + '\r\n';
}

const iso = (ms: number) => new Date(ms).toISOString();
const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

export function seriesCsv(series: Series, valueColumn: string): string {
  return toCsv(
    ['bucket', 'bucket_start', 'bucket_end', valueColumn],
    series.points.map((p) => [p.bucket.label, iso(p.bucket.start), iso(p.bucket.end), p.value]),
  );
}

export function attainmentCsv(groupColumn: string, groups: readonly AttainmentGroup[]): string {
  return toCsv([groupColumn, 'met', 'missed', 'attainment_percent'], groups.map((g) => [g.key, g.met, g.missed, g.attainment]));
}

function durationRows(name: string, m: DurationMetric): Cell[][] {
  const row = (basis: string, s: Summary): Cell[] => [name, basis, s.count, round2(s.mean), round2(s.median), round2(s.p90)];
  return [row('calendar', m.calendar), row('business', m.business)];
}

export function durationsCsv(d: Pick<Dashboard, 'processing' | 'firstResponse'>): string {
  return toCsv(
    ['measure', 'basis', 'cases', 'mean_minutes', 'median_minutes', 'p90_minutes'],
    [...durationRows('first_response', d.firstResponse), ...durationRows('processing', d.processing)],
  );
}

/** One row per agent (by-agent.ts): `agent_id` empty on the row of nobody (`agent` is then empty too). */
export function agentsCsv(m: AgentMetric): string {
  return toCsv(
    ['agent_id', 'agent', 'first_responses', 'first_response_median_minutes_calendar', 'first_response_p90_minutes_calendar', 'first_response_median_minutes_business', 'first_response_p90_minutes_business', 'sla_met', 'sla_missed', 'attainment_percent'],
    m.rows.map((r) => {
      const f = r.firstResponses;
      return [r.staffId, r.staffId === null ? null : r.name, f.count, round2(f.calendar.median), round2(f.calendar.p90), round2(f.business.median), round2(f.business.p90), r.met, r.missed, r.attainment];
    }),
  );
}

/** The headline numbers, one per row. */
export function summaryCsv(d: Dashboard): string {
  const q = d.query;
  const rows: Cell[][] = [
    ['period_from', null, null, iso(q.from)],
    ['period_to', null, null, iso(q.to)],
    ['queue', null, null, q.queue ?? 'all'],
    ['csat_percent', d.csat.satisfied, d.csat.ratings, d.csat.percent],
    ['churn_percent', d.churn.churned, d.churn.customers, d.churn.percent],
    ['sla_attainment_percent', d.attainment.total.met, d.attainment.total.met + d.attainment.total.missed, d.attainment.total.attainment],
    ['processing_mean_minutes_calendar', null, d.processing.count, round2(d.processing.calendar.mean)],
    ['processing_mean_minutes_business', null, d.processing.count, round2(d.processing.business.mean)],
    ['first_response_median_minutes_calendar', null, d.firstResponse.count, round2(d.firstResponse.calendar.median)],
    ['first_response_median_minutes_business', null, d.firstResponse.count, round2(d.firstResponse.business.median)],
    ['escalations', null, null, d.escalations.points.reduce((n, p) => n + p.value, 0)],
  ];
  return toCsv(['metric', 'part', 'whole', 'value'], rows);
}

export function drillCsv(drill: Drill): string {
  if (drill.kind === 'customers') {
    return toCsv(
      ['customer_id', 'name', 'email', 'organization', 'churned_at'],
      drill.rows.map((r) => [r.id, r.name, r.email, r.organization, r.churnedAt === null ? null : iso(r.churnedAt)]),
    );
  }
  return toCsv(['case', 'subject', 'queue', 'status', 'customer', 'detail'], drill.rows.map((r) => [r.ref, r.subject, r.queue, r.status, r.customer, r.detail]));
}
