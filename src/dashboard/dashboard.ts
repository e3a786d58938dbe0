/**
 * The reports dashboard: every metric for one period and queue, and the drill-down that
 * lists the cases (or customers) behind a number. Definitions live beside each metric:
 * csat.ts, churn.ts, durations.ts, attainment.ts, over-time.ts (and docs/manager-console.md).
 */
import { inArray } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import { allowLongStatements, breathe, type Handle } from '../db/store/index.js';
import { inChunks } from '../db/store/rows.js';
import type { Services } from '../services.js';
import { zoneAbbreviation } from '../text/time-zones.js';
import { attainment, type AttainmentGroup, type AttainmentMetric } from './attainment.js';
import { byAgent, type AgentMetric } from './by-agent.js';
import { churn, type ChurnMetric } from './churn.js';
import { csat, type CsatMetric } from './csat.js';
import { firstResponseTime, processingTime, type DurationMetric } from './durations.js';
import { backlog, escalations, type EscalationSeries, type Series } from './over-time.js';
import type { DashboardQuery } from './period.js';

export interface Dashboard {
  query: DashboardQuery;
  generatedAt: number;
  csat: CsatMetric;
  churn: ChurnMetric;
  processing: DurationMetric;
  firstResponse: DurationMetric;
  attainment: AttainmentMetric;
  backlog: Series;
  escalations: EscalationSeries;
  /** First responses and SLA outcomes per agent (by-agent.ts). */
  agents: AgentMetric;
}

/** How a dashboard is read: `export`, a CSV download, runs under the long work's statement limit (DATABASE_REPORT_TIMEOUT_MS), not a request's. */
export interface DashboardReadOptions {
  export?: boolean;
}

/**
 * Every metric from one snapshot, so the numbers agree with each other: a `store.report`, which
 * on SQLite lets requests run between its statements (a large desk's month is seconds of reading).
 */
export function buildDashboard(services: Services, q: DashboardQuery, options: DashboardReadOptions = {}): Promise<Dashboard> {
  const generatedAt = services.clock.now();
  return services.store.report(async (tx) => {
    if (options.export) await allowLongStatements(tx, services.reports.statementTimeoutMs);
    const firstResponse = await firstResponseTime(tx, services, q);
    const slaOutcomes = await attainment(tx, q);
    return {
      query: q,
      generatedAt,
      csat: await csat(tx, q),
      churn: await churn(tx, q),
      processing: await processingTime(tx, services, q),
      firstResponse,
      attainment: slaOutcomes,
      backlog: await backlog(tx, services, q),
      escalations: await escalations(tx, q),
      agents: await byAgent(tx, q, firstResponse, slaOutcomes),
    };
  });
}

/** What a drill-down link asks for. */
export type DrillSpec =
  | { metric: 'csat' | 'csat-satisfied' | 'churn' | 'processing' }
  /** `agent`: only the first responses that agent gave (a row key of by-agent.ts). */
  | { metric: 'first-response'; agent?: string }
  /** `group: 'agent'`: `key` is a row key of by-agent.ts (a staff id, or `none`). */
  | { metric: 'attainment'; group: 'all' | 'metric' | 'policy' | 'agent'; key: string; outcome: 'met' | 'missed' }
  | { metric: 'backlog' | 'escalations'; bucket: number };

export const DRILL_METRICS = ['csat', 'csat-satisfied', 'churn', 'processing', 'first-response', 'attainment', 'backlog', 'escalations'] as const;

export interface DrillCase {
  id: number;
  ref: string;
  subject: string;
  queue: string;
  status: string;
  customer: string;
  /** What the number counted for this case (minutes, the rating, the outcome). */
  detail: string;
}

export interface DrillCustomer {
  id: number;
  name: string;
  email: string;
  organization: string | null;
  churnedAt: number | null;
}

export type Drill = { title: string; kind: 'cases'; rows: DrillCase[] } | { title: string; kind: 'customers'; rows: DrillCustomer[] };

const METRIC_NAMES: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };

/** "1 Dec 2026, 14:50 CET": in the report's zone, named. */
function formatAt(ms: number, zone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return `${text} ${zoneAbbreviation(zone, ms)}`;
}

async function caseRows(tx: Handle, ids: readonly number[], details: (id: number, index: number) => string): Promise<DrillCase[]> {
  const { cases } = tx.tables;
  const found = new Map<number, { subject: string; queue: string; status: string; customerId: number }>();
  for (const part of inChunks([...new Set(ids)])) {
    for (const r of await tx.db
      .select({ id: cases.id, subject: cases.subject, queue: cases.queueId, status: cases.status, customerId: cases.customerId })
      .from(cases)
      .where(inArray(cases.id, part))) {
      found.set(r.id, r);
    }
    await breathe(tx);
  }
  const names = await customerNames(tx, [...found.values()].map((r) => r.customerId));
  return ids.flatMap((id, index) => {
    const r = found.get(id);
    return r ? [{ id, ref: caseRef(id), subject: r.subject, queue: r.queue, status: r.status, customer: names.get(r.customerId) ?? '', detail: details(id, index) }] : [];
  });
}

async function customerNames(tx: Handle, ids: readonly number[]): Promise<Map<number, string>> {
  const { customers } = tx.tables;
  const out = new Map<number, string>();
  for (const part of inChunks([...new Set(ids)])) {
    for (const r of await tx.db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, part))) out.set(r.id, r.name);
  }
  return out;
}

const minutes = (m: number) => `${Math.round(m * 10) / 10} min`;

async function agentRow(tx: Handle, services: Services, q: DashboardQuery, key: string) {
  const agents = await byAgent(tx, q, await firstResponseTime(tx, services, q), await attainment(tx, q));
  return agents.rows.find((r) => r.key === key);
}

function agentLabel(row: { staffId: number | null; name: string } | undefined, key: string): string {
  if (key === 'none') return 'no agent';
  return `agent ${row?.name ?? key}`;
}

function findGroup(metric: AttainmentMetric, group: 'all' | 'metric' | 'policy', key: string): AttainmentGroup | undefined {
  if (group === 'all') return metric.total;
  return (group === 'metric' ? metric.byMetric : metric.byPolicy).find((g) => g.key === key);
}

/** The cases or customers behind one number of the dashboard, read in one snapshot. */
export function drillDown(services: Services, q: DashboardQuery, spec: DrillSpec, options: DashboardReadOptions = {}): Promise<Drill> {
  return services.store.report(async (tx) => {
    if (options.export) await allowLongStatements(tx, services.reports.statementTimeoutMs);
    return drillIn(tx, services, q, spec);
  });
}

async function drillIn(tx: Handle, services: Services, q: DashboardQuery, spec: DrillSpec): Promise<Drill> {
  switch (spec.metric) {
    case 'csat':
    case 'csat-satisfied': {
      const m = await csat(tx, q);
      const satisfied = new Set(m.satisfiedCaseIds);
      const ids = spec.metric === 'csat' ? m.ratedCaseIds : m.satisfiedCaseIds;
      return {
        title: spec.metric === 'csat' ? 'Rated cases' : 'Cases rated satisfied',
        kind: 'cases',
        rows: await caseRows(tx, ids, (id) => (satisfied.has(id) ? 'satisfied' : 'not satisfied')),
      };
    }
    case 'churn': {
      const m = await churn(tx, q);
      const { customers } = tx.tables;
      const rows: DrillCustomer[] = [];
      for (const part of inChunks(m.churnedCustomerIds)) {
        rows.push(
          ...(await tx.db
            .select({ id: customers.id, name: customers.name, email: customers.email, organization: customers.organization, churnedAt: customers.churnedAt })
            .from(customers)
            .where(inArray(customers.id, part))),
        );
      }
      rows.sort((a, b) => a.id - b.id);
      return { title: 'Customers who churned', kind: 'customers', rows };
    }
    case 'processing':
    case 'first-response': {
      const agent = spec.metric === 'first-response' && spec.agent !== undefined ? { key: spec.agent, row: await agentRow(tx, services, q, spec.agent) } : null;
      const rows = agent ? (agent.row?.firstResponses.rows ?? []) : (spec.metric === 'processing' ? await processingTime(tx, services, q) : await firstResponseTime(tx, services, q)).rows;
      return {
        title: spec.metric === 'processing' ? 'Cases resolved' : `Cases with their first response${agent ? ` (${agent.key === 'none' ? 'by no agent recorded' : `by ${agent.row?.name ?? agent.key}`})` : ''}`,
        kind: 'cases',
        rows: await caseRows(tx, rows.map((r) => r.caseId), (_id, i) => `${minutes(rows[i]!.calendarMinutes)} calendar, ${minutes(rows[i]!.businessMinutes)} business`),
      };
    }
    case 'attainment': {
      const agent = spec.group === 'agent' ? await agentRow(tx, services, q, spec.key) : null;
      const g = spec.group === 'agent' ? agent : findGroup(await attainment(tx, q), spec.group, spec.key);
      const outcomes = (g?.outcomes ?? []).filter((o) => o.outcome === spec.outcome);
      const label = spec.group === 'all' ? 'all metrics and policies' : spec.group === 'agent' ? agentLabel(agent ?? undefined, spec.key) : `${spec.group} ${spec.key}`;
      return {
        title: `SLA targets ${spec.outcome} (${label})`,
        kind: 'cases',
        rows: await caseRows(tx, outcomes.map((o) => o.caseId), (_id, i) => {
          const o = outcomes[i]!;
          return `${METRIC_NAMES[o.metric] ?? o.metric}, policy ${o.policy}, queue ${o.queue}: ${spec.outcome} ${formatAt(o.at, q.zone)}`;
        }),
      };
    }
    case 'backlog': {
      const series = await backlog(tx, services, q, spec.bucket);
      const bucket = series.points[spec.bucket]?.bucket;
      return { title: `Open cases at the end of the ${series.unit} starting ${bucket?.label ?? '?'}`, kind: 'cases', rows: await caseRows(tx, series.caseIds, () => 'open') };
    }
    case 'escalations': {
      const series = await escalations(tx, q);
      const bucket = series.points[spec.bucket]?.bucket;
      return {
        title: `Escalations in the ${series.unit} starting ${bucket?.label ?? '?'}`,
        kind: 'cases',
        rows: await caseRows(tx, series.caseIds[spec.bucket] ?? [], () => 'escalated'),
      };
    }
  }
}
