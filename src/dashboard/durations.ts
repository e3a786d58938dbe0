/**
 * Processing time and first-response time, in calendar minutes and in business minutes
 * (`businessMinutesBetween` on the calendar of the case's SLA policy in the SLA config
 * version the case pinned; the version's default policy when the case has none):
 * - processing time: cases whose `resolved_at` is in [from, to), resolved_at − created_at.
 *   `resolved_at` is the latest resolution: a reopened case leaves the numbers until it is
 *   resolved again, then counts once, from creation to that resolution;
 * - first-response time: cases whose first response (`first_response_at`: the first public staff
 *   reply or call in which staff spoke with the customer, as the SLA timer counts it; internal
 *   notes never count) is in [from, to), first_response_at − created_at.
 * Each gives the count, the total, the average (total / count), the median and the p90
 * (nearest rank, see stats.ts). With a queue: cases now in that queue.
 */
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import type { Services } from '../services.js';
import { businessMinutesBetween, MINUTE_MS, type BusinessCalendar } from '../sla/calendar.js';
import type { DashboardQuery } from './period.js';
import { summarize, type Summary } from './stats.js';

export interface DurationRow {
  caseId: number;
  start: number;
  end: number;
  calendarMinutes: number;
  businessMinutes: number;
}

export interface DurationMetric {
  count: number;
  calendar: Summary;
  business: Summary;
  /** In the order the durations ended. */
  rows: DurationRow[];
}

interface CaseTimes {
  id: number;
  created_at: number;
  end_at: number;
  sla_policy: string | null;
  sla_config_version: number | null;
}

/** Calendars by (SLA config version, policy), looked up once per request. */
export function calendarLookup(services: Services): (version: number | null, policy: string | null) => BusinessCalendar {
  const cache = new Map<string, BusinessCalendar>();
  return (version, policy) => {
    const key = `${version ?? ''}\u0000${policy ?? ''}`;
    let calendar = cache.get(key);
    if (!calendar) {
      const { config } = services.definitions.sla(version ?? undefined);
      calendar = (config.policy(policy ?? config.defaultPolicy) ?? config.policy(config.defaultPolicy)!).calendar;
      cache.set(key, calendar);
    }
    return calendar;
  };
}

/**
 * Business time from one instant to each of `instants` on one calendar, in ms: the calendar is
 * walked once, from the earliest to the latest, summing the business time between neighbours.
 * Asked case by case, `businessMinutesBetween` walks every day of every case's span again: cases
 * open for years (imported history) cost a walk of years each, and a few hundred of them held
 * the server for minutes. Exact: business time over adjacent ranges adds up, in whole ms.
 */
function businessClock(calendar: BusinessCalendar, instants: readonly number[]): (at: number) => number {
  const sorted = [...new Set(instants)].sort((a, b) => a - b);
  const since = new Map<number, number>();
  let total = 0;
  sorted.forEach((at, i) => {
    if (i > 0) total += Math.round(businessMinutesBetween(calendar, sorted[i - 1]!, at) * MINUTE_MS);
    since.set(at, total);
  });
  return (at) => since.get(at)!;
}

function measure(services: Services, rows: CaseTimes[]): DurationMetric {
  const calendarOf = calendarLookup(services);
  const byCalendar = new Map<BusinessCalendar, number[]>();
  for (const r of rows) {
    const calendar = calendarOf(r.sla_config_version, r.sla_policy);
    const instants = byCalendar.get(calendar) ?? [];
    if (instants.length === 0) byCalendar.set(calendar, instants);
    instants.push(r.created_at, Math.max(r.created_at, r.end_at));
  }
  const clocks = new Map([...byCalendar].map(([calendar, instants]) => [calendar, businessClock(calendar, instants)]));
  const out = rows.map((r) => {
    const clock = clocks.get(calendarOf(r.sla_config_version, r.sla_policy))!;
    return {
      caseId: r.id,
      start: r.created_at,
      end: r.end_at,
      calendarMinutes: Math.max(0, r.end_at - r.created_at) / MINUTE_MS,
      businessMinutes: (clock(Math.max(r.created_at, r.end_at)) - clock(r.created_at)) / MINUTE_MS,
    };
  });
  return {
    count: out.length,
    calendar: summarize(out.map((r) => r.calendarMinutes)),
    business: summarize(out.map((r) => r.businessMinutes)),
    rows: out,
  };
}

// The same SQL on both dialects; with a queue, one more condition (a `? IS NULL` test would
// leave PostgreSQL without the parameter's type).
const RESOLVED = (queue: string) => `SELECT id, created_at, resolved_at AS end_at, sla_policy, sla_config_version FROM cases
       WHERE resolved_at >= ? AND resolved_at < ?${queue}
       ORDER BY resolved_at, id`;
const RESOLVED_ALL = RESOLVED('');
const RESOLVED_IN_QUEUE = RESOLVED(' AND queue_id = ?');

// The case's first response, whatever it was (a public staff reply, a call in which staff spoke
// with the customer: src/workflow/builtin-subscribers.ts): `cases_first_response_idx`, partial,
// finds the period's without scanning the cases.
const FIRST_RESPONSES = (queue: string) => `SELECT id, created_at, first_response_at AS end_at, sla_policy, sla_config_version FROM cases
       WHERE first_response_at >= ? AND first_response_at < ?${queue}
       ORDER BY first_response_at, id`;
const FIRST_RESPONSES_ALL = FIRST_RESPONSES('');
const FIRST_RESPONSES_IN_QUEUE = FIRST_RESPONSES(' AND queue_id = ?');

const params = (q: DashboardQuery) => (q.queue === null ? [q.from, q.to] : [q.from, q.to, q.queue]);

/** Inside the caller's read (`tx`). */
export async function processingTime(tx: Handle, services: Services, q: DashboardQuery): Promise<DurationMetric> {
  return measure(services, await all<CaseTimes>(tx, q.queue === null ? RESOLVED_ALL : RESOLVED_IN_QUEUE, params(q)));
}

/** Inside the caller's read (`tx`). */
export async function firstResponseTime(tx: Handle, services: Services, q: DashboardQuery): Promise<DurationMetric> {
  return measure(services, await all<CaseTimes>(tx, q.queue === null ? FIRST_RESPONSES_ALL : FIRST_RESPONSES_IN_QUEUE, params(q)));
}
