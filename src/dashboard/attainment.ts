/**
 * SLA attainment % per metric and per policy, with exactly the scheduled report's definition
 * (src/reports/sla-outcomes.ts): met = a timer fulfilled for the first time in [from, to)
 * without having breached, missed = a breach in [from, to); attainment = met / (met +
 * missed). With a queue: outcomes recorded with that queue (the queue responsible when it
 * happened).
 */
import type { Handle } from '../db/store/index.js';
import { attainmentPercent, readSlaOutcomes, type SlaOutcome } from '../reports/sla-outcomes.js';
import type { DashboardQuery } from './period.js';

export interface AttainmentGroup {
  key: string;
  met: number;
  missed: number;
  attainment: number | null;
  metCaseIds: number[];
  missedCaseIds: number[];
  /** The outcomes counted, in timeline order. */
  outcomes: SlaOutcome[];
}

export interface AttainmentMetric {
  total: AttainmentGroup;
  byMetric: AttainmentGroup[];
  byPolicy: AttainmentGroup[];
}

export const METRIC_ORDER = ['firstResponse', 'nextResponse', 'resolution'];

function group(key: string, outcomes: readonly SlaOutcome[]): AttainmentGroup {
  const metCaseIds = outcomes.filter((o) => o.outcome === 'met').map((o) => o.caseId);
  const missedCaseIds = outcomes.filter((o) => o.outcome === 'missed').map((o) => o.caseId);
  return { key, met: metCaseIds.length, missed: missedCaseIds.length, attainment: attainmentPercent(metCaseIds.length, missedCaseIds.length), metCaseIds, missedCaseIds, outcomes: [...outcomes] };
}

function groupBy(outcomes: readonly SlaOutcome[], keyOf: (o: SlaOutcome) => string, order: (a: string, b: string) => number): AttainmentGroup[] {
  const map = new Map<string, SlaOutcome[]>();
  for (const o of outcomes) {
    const list = map.get(keyOf(o)) ?? [];
    list.push(o);
    map.set(keyOf(o), list);
  }
  return [...map.keys()].sort(order).map((key) => group(key, map.get(key)!));
}

const metricOrder = (a: string, b: string) => {
  const ia = METRIC_ORDER.indexOf(a);
  const ib = METRIC_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
};

/** Inside the caller's read (`tx`). */
export async function attainment(tx: Handle, q: DashboardQuery): Promise<AttainmentMetric> {
  const outcomes = (await readSlaOutcomes(tx, q.from, q.to)).filter((o) => q.queue === null || o.queue === q.queue);
  return {
    total: group('all', outcomes),
    byMetric: groupBy(outcomes, (o) => o.metric, metricOrder),
    byPolicy: groupBy(outcomes, (o) => o.policy, (a, b) => a.localeCompare(b)),
  };
}
