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
import { breathe, type Handle } from '../db/store/index.js';
import { keysetPages } from '../db/store/rows.js';
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
async function businessClock(tx: Handle, calendar: BusinessCalendar, instants: readonly number[]): Promise<(at: number) => number> {
  // Typed arrays, sorted numerically, and a binary search: for a period of a million cases a
  // Set and a Map of every instant cost more than the calendar's walk.
  const all = Float64Array.from(instants).sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
  const sorted = all.subarray(0, n);
  const since = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    since[i] = since[i - 1]! + Math.round(businessMinutesBetween(calendar, sorted[i - 1]!, sorted[i]!) * MINUTE_MS);
    if ((i & STRIDE) === 0) await breathe(tx);
  }
  return (at) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return since[lo]!;
  };
}

/** How often (a mask of the loop's index) a long loop asks `breathe` whether to let the event loop run. */
const STRIDE = 4095;

async function measure(tx: Handle, services: Services, rows: CaseTimes[]): Promise<DurationMetric> {
  const calendarOf = calendarLookup(services);
  const calendars: BusinessCalendar[] = new Array(rows.length);
  const byCalendar = new Map<BusinessCalendar, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const calendar = (calendars[i] = calendarOf(r.sla_config_version, r.sla_policy));
    const instants = byCalendar.get(calendar);
    if (instants) instants.push(r.created_at, Math.max(r.created_at, r.end_at));
    else byCalendar.set(calendar, [r.created_at, Math.max(r.created_at, r.end_at)]);
    if ((i & STRIDE) === 0) await breathe(tx);
  }
  const clocks = new Map<BusinessCalendar, (at: number) => number>();
  for (const [calendar, instants] of byCalendar) clocks.set(calendar, await businessClock(tx, calendar, instants));
  byCalendar.clear();
  const out: DurationRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const clock = clocks.get(calendars[i]!)!;
    out[i] = {
      caseId: r.id,
      start: r.created_at,
      end: r.end_at,
      calendarMinutes: Math.max(0, r.end_at - r.created_at) / MINUTE_MS,
      businessMinutes: (clock(Math.max(r.created_at, r.end_at)) - clock(r.created_at)) / MINUTE_MS,
    };
    if ((i & STRIDE) === 0) await breathe(tx);
  }
  return {
    count: out.length,
    calendar: summarize(out.map((r) => r.calendarMinutes)),
    business: summarize(out.map((r) => r.businessMinutes)),
    rows: out,
  };
}

// The same SQL on both dialects; with a queue, one more condition (a `? IS NULL` test would
// leave PostgreSQL without the parameter's type). A page (LONG_READS) after the (end, id) last read.
const PAGE = (column: string, queue: string) => `SELECT id, created_at, ${column} AS end_at, sla_policy, sla_config_version FROM cases
       WHERE ${column} >= ? AND ${column} < ? AND (${column}, id) > (?, ?)${queue}
       ORDER BY ${column}, id LIMIT ?`;
// `cases_resolved_idx`, partial, finds the period's resolutions without scanning the cases.
const RESOLVED_ALL = PAGE('resolved_at', '');
const RESOLVED_IN_QUEUE = PAGE('resolved_at', ' AND queue_id = ?');
// The case's first response, whatever it was (a public staff reply, a call in which staff spoke
// with the customer: src/workflow/builtin-subscribers.ts): `cases_first_response_idx`, partial,
// finds the period's without scanning the cases.
const FIRST_RESPONSES_ALL = PAGE('first_response_at', '');
const FIRST_RESPONSES_IN_QUEUE = PAGE('first_response_at', ' AND queue_id = ?');

/** Every case of one of the queries above, in (end, id) order. */
async function casesEndingIn(tx: Handle, text: string, q: DashboardQuery): Promise<CaseTimes[]> {
  const out: CaseTimes[] = [];
  const params = (after: readonly [number, number], size: number) => (q.queue === null ? [q.from, q.to, ...after, size] : [q.from, q.to, ...after, q.queue, size]);
  for await (const page of keysetPages<CaseTimes>(tx, text, q.from, params, (r) => [r.end_at, r.id])) for (const row of page) out.push(row);
  return out;
}

/** Inside the caller's read (`tx`). */
export async function processingTime(tx: Handle, services: Services, q: DashboardQuery): Promise<DurationMetric> {
  return measure(tx, services, await casesEndingIn(tx, q.queue === null ? RESOLVED_ALL : RESOLVED_IN_QUEUE, q));
}

/** Inside the caller's read (`tx`). */
export async function firstResponseTime(tx: Handle, services: Services, q: DashboardQuery): Promise<DurationMetric> {
  return measure(tx, services, await casesEndingIn(tx, q.queue === null ? FIRST_RESPONSES_ALL : FIRST_RESPONSES_IN_QUEUE, q));
}
