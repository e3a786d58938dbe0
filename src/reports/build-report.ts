/**
 * The SLA escalation report for a period [from, to), built from the timeline (what happened)
 * and the SLA timers (what stands now). Definitions (docs/sla.md, "Reports"):
 * - breaches: `sla.breached` entries recorded in the period;
 * - warnings: `sla.warning` entries recorded in the period (count only);
 * - escalations: `case.escalated` entries in the period, with their reasons and rules;
 * - attainment per queue and per policy: an outcome is *met* when a timer is fulfilled for the
 *   first time in the period without having breached (`sla.fulfilled` with first and not
 *   breached), *missed* when it breaches in the period (`sla.breached`); attainment =
 *   met / (met + missed). Queue and policy are the ones recorded with the outcome (the queue
 *   responsible at that moment, before any escalation the breach causes);
 * - at risk (as of the moment the report is built): timers counting and not breached whose due
 *   time is within the next `atRiskHours` business hours of their own calendar;
 * - oldest waiting (as of the moment the report is built): cases whose customer waits for an
 *   answer (firstResponse or nextResponse counting), oldest unanswered first.
 * Lists are capped at `listLimit` entries; counts are always complete.
 *
 * On the storage port, in one `store.report` (a snapshot that other requests run beside, on
 * SQLite a read-only connection of its own; `createReport` stores the result in a write of its
 * own after): the builder and standard SQL, the same on both dialects, except the at-risk
 * timers' index scan (sqlite.ts / pg.ts: SQLite is told the partial expression index,
 * PostgreSQL finds it).
 */
import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import { NO_DUE_AT } from '../db/schema/index.js';
import { allowLongStatements, type Handle } from '../db/store/index.js';
import { SLA_CONFIG_NAME } from '../definitions/registry.js';
import type { Services } from '../services.js';
import { addBusinessMinutes, BusinessCalendarError, businessMinutesBetween, type BusinessCalendar } from '../sla/calendar.js';
import { roundMinutes } from '../sla/timer.js';
import * as pgQueries from './pg.js';
import { assigneesAt, attainmentPercent as percent, readSlaOutcomes } from './sla-outcomes.js';
import * as sqliteQueries from './sqlite.js';
import type { TimerRiskRow } from './sqlite.js';

export interface ReportOptions {
  from: number;
  to: number;
  /** Business hours ahead that count as "at risk" (default `services.reports`: REPORT_AT_RISK_HOURS, else 4). */
  atRiskHours?: number;
  /** Time zone the report shows times in (default `services.reports`: REPORT_TIMEZONE, else UTC). */
  timezone?: string;
  /** Cap of each list (default 1000); counts are exact. */
  listLimit?: number;
  /** How many oldest waiting cases to list (default 10). */
  oldestLimit?: number;
}

export interface BreachEntry {
  caseId: string;
  subject: string;
  metric: string;
  policy: string;
  queue: string;
  priority: string;
  dueAt: string;
  breachedAt: string;
  /**
   * Who held the case when it breached (before the escalation the breach causes moves it on):
   * the staff member's name, null when it was unassigned. Absent from reports stored before it was added.
   */
  assignee?: string | null;
}

export interface AtRiskEntry {
  caseId: string;
  subject: string;
  metric: string;
  policy: string;
  queue: string;
  priority: string;
  dueAt: string;
  /** Wall-clock minutes until due (rounded up). */
  minutesLeft: number;
  /**
   * Business minutes left of the target on the timer's calendar (two decimals, as the case
   * API's `businessMinutesLeft`): what "at risk" is measured in. Absent from reports stored
   * before it was added.
   */
  businessMinutesLeft?: number;
}

export interface EscalationEntry {
  caseId: string;
  subject: string;
  at: string;
  fromQueue: string | null;
  queue: string;
  tier: number;
  reason: string;
  rule: string | null;
}

export interface AttainmentRow {
  key: string;
  met: number;
  missed: number;
  /** Percent met, one decimal; null without outcomes. */
  attainment: number | null;
}

export interface WaitingEntry {
  caseId: string;
  subject: string;
  queue: string;
  status: string;
  assignee: string | null;
  metric: string;
  state: string;
  waitingSince: string;
  waitedMinutes: number;
}

export interface ReportSummary {
  period: { from: string; to: string };
  generatedAt: string;
  timezone: string;
  atRiskHours: number;
  totals: {
    breaches: number;
    warnings: number;
    escalations: number;
    atRisk: number;
    met: number;
    missed: number;
    attainment: number | null;
  };
  breaches: BreachEntry[];
  atRisk: AtRiskEntry[];
  escalations: EscalationEntry[];
  escalationReasons: { reason: string; count: number }[];
  attainment: { byQueue: AttainmentRow[]; byPolicy: AttainmentRow[] };
  oldestWaiting: WaitingEntry[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const NO_REASON = '(no reason given)';

class Tally {
  readonly #rows = new Map<string, { met: number; missed: number }>();
  add(key: string, outcome: 'met' | 'missed'): void {
    const row = this.#rows.get(key) ?? { met: 0, missed: 0 };
    row[outcome]++;
    this.#rows.set(key, row);
  }
  rows(): AttainmentRow[] {
    return [...this.#rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, { met, missed }]) => ({ key, met, missed, attainment: percent(met, missed) }));
  }
}

/**
 * The report for [from, to): in the write or read in progress, else in a report of its own (one
 * snapshot, `store.report`) — under the long work's statement limit (DATABASE_REPORT_TIMEOUT_MS),
 * not a request's, for the rest of that transaction.
 */
export function buildReport(services: Services, options: ReportOptions): Promise<ReportSummary> {
  return services.store.report(async (q) => {
    await allowLongStatements(q, services.reports.statementTimeoutMs);
    return reportIn(q, services, options);
  });
}

async function reportIn(q: Handle, services: Services, options: ReportOptions): Promise<ReportSummary> {
  const now = services.clock.now();
  const { from, to } = options;
  const atRiskHours = options.atRiskHours ?? services.reports.atRiskHours;
  const listLimit = options.listLimit ?? 1000;
  const { caseEvents: e, cases: c } = q.tables;
  const events = (type: string) =>
    q.db
      .select({ id: e.id, caseId: e.caseId, at: e.at, data: e.data, subject: c.subject })
      .from(e)
      .innerJoin(c, eq(c.id, e.caseId))
      .where(and(eq(e.type, type), gte(e.at, from), lt(e.at, to)))
      .orderBy(asc(e.at), asc(e.id));
  const str = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);

  const byQueue = new Tally();
  const byPolicy = new Tally();
  let met = 0;
  for (const o of await readSlaOutcomes(q, from, to)) {
    byQueue.add(o.queue, o.outcome);
    byPolicy.add(o.policy, o.outcome);
    if (o.outcome === 'met') met++;
  }

  // Counted in SQL, listed up to the limit: a period of a million breaches is not read whole.
  const breachCount = Number((await q.get<{ n: number | string }>(sql`SELECT count(*) AS n FROM case_events WHERE type = 'sla.breached' AND at >= ${from} AND at < ${to}`))!.n);
  const listedBreaches = await events('sla.breached').limit(listLimit);
  const holders = await assigneesAt(q, listedBreaches.map((r) => ({ eventId: r.id, caseId: r.caseId })));
  const names = await staffNames(q, [...holders.values()].filter((id): id is number => id !== null));
  const warnings = (await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM case_events WHERE type = 'sla.warning' AND at >= ${from} AND at < ${to}`))!.n;

  const escalationRows = await events('case.escalated');
  const reasons = new Map<string, number>();
  for (const r of escalationRows) {
    const reason = str(r.data.reason) || NO_REASON;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }

  const atRisk = await atRiskTimers(q, services, now, atRiskHours);
  const summary: ReportSummary = {
    period: { from: iso(from), to: iso(to) },
    generatedAt: iso(now),
    timezone: options.timezone ?? services.reports.timezone,
    atRiskHours,
    totals: {
      breaches: breachCount,
      warnings,
      escalations: escalationRows.length,
      atRisk: atRisk.length,
      met,
      missed: breachCount,
      attainment: percent(met, breachCount),
    },
    breaches: listedBreaches.map((r) => ({
      caseId: caseRef(r.caseId),
      subject: r.subject,
      metric: str(r.data.metric),
      policy: str(r.data.policy),
      queue: str(r.data.queue),
      priority: str(r.data.priority),
      dueAt: typeof r.data.dueAt === 'number' ? iso(r.data.dueAt) : '',
      breachedAt: iso(r.at),
      assignee: holderName(holders.get(r.id) ?? null, names),
    })),
    atRisk: atRisk.slice(0, listLimit),
    escalations: escalationRows.slice(0, listLimit).map((r) => ({
      caseId: caseRef(r.caseId),
      subject: r.subject,
      at: iso(r.at),
      fromQueue: typeof r.data.fromQueue === 'string' ? r.data.fromQueue : null,
      queue: str(r.data.queue),
      tier: typeof r.data.tier === 'number' ? r.data.tier : 0,
      reason: str(r.data.reason) || NO_REASON,
      rule: typeof r.data.rule === 'string' ? r.data.rule : null,
    })),
    escalationReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, count]) => ({ reason, count })),
    attainment: { byQueue: byQueue.rows(), byPolicy: byPolicy.rows() },
    oldestWaiting: await oldestWaiting(q, now, options.oldestLimit ?? 10),
  };
  return summary;
}

async function staffNames(q: Handle, ids: readonly number[]): Promise<Map<number, string>> {
  const { staff } = q.tables;
  const out = new Map<number, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    for (const s of await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, unique.slice(i, i + 500)))) out.set(s.id, s.name);
  }
  return out;
}

const holderName = (id: number | null, names: ReadonlyMap<number, string>): string | null => (id === null ? null : (names.get(id) ?? `#${id}`));

/** Counting, not yet breached timers due within `hours` business hours of `now`, soonest first. */
async function atRiskTimers(q: Handle, services: Services, now: number, hours: number): Promise<AtRiskEntry[]> {
  const { definitions } = services;
  const minutes = hours * 60;
  const bounds = new Map<string, number>();
  const calendarOf = (version: number, name: string): BusinessCalendar | undefined => definitions.sla(version).config.calendar(name);
  const boundOf = (version: number, name: string): number => {
    const key = `${version}\u0000${name}`;
    let bound = bounds.get(key);
    if (bound === undefined) {
      const calendar = calendarOf(version, name);
      bound = calendar ? businessBound(calendar, now, minutes) : now;
      bounds.set(key, bound);
    }
    return bound;
  };
  // The latest bound over every calendar of every SLA version limits the index range.
  let maxBound = now;
  for (const { version } of definitions.history('sla', SLA_CONFIG_NAME)) {
    for (const name of definitions.sla(version).config.calendarNames) maxBound = Math.max(maxBound, boundOf(version, name));
  }
  const rows = await (q.dialect === 'sqlite' ? sqliteQueries : pgQueries).timersDueBy(q, maxBound);
  return rows
    .filter((r) => r.due_at <= boundOf(r.policy_version, r.calendar))
    .map((r) => ({
      caseId: caseRef(r.case_id),
      subject: r.subject,
      metric: r.metric,
      policy: r.policy,
      queue: r.queue_id,
      priority: r.priority,
      dueAt: iso(r.due_at),
      minutesLeft: Math.max(0, Math.ceil((r.due_at - now) / 60_000)),
      businessMinutesLeft: businessMinutesLeft(r, calendarOf(r.policy_version, r.calendar), now),
    }));
}

/**
 * The instant `minutes` business minutes after `now` on `calendar`; for a calendar with fewer
 * in the next three years (a desk open an hour a week, asked for 200 hours ahead) every later
 * instant: all its timers are within them.
 */
function businessBound(calendar: BusinessCalendar, now: number, minutes: number): number {
  try {
    return addBusinessMinutes(calendar, now, minutes);
  } catch (error) {
    if (error instanceof BusinessCalendarError && error.code === 'CALENDAR_EXHAUSTED') return NO_DUE_AT;
    throw error;
  }
}

/**
 * The target's business minutes not used yet, as the SLA timer views count them (target −
 * used, with the stretch running now on the timer's calendar); 0 without the calendar.
 */
function businessMinutesLeft(r: TimerRiskRow, calendar: BusinessCalendar | undefined, now: number): number {
  if (!calendar) return 0;
  const running = r.segment_started_at === null ? 0 : businessMinutesBetween(calendar, Number(r.segment_started_at), now);
  return Math.max(0, roundMinutes(Number(r.target_minutes) - Number(r.used_minutes) - running));
}

/** Cases whose customer waits longest for an answer (firstResponse / nextResponse counting). */
async function oldestWaiting(q: Handle, now: number, limit: number): Promise<WaitingEntry[]> {
  const { slaTimers: t, cases: c, staff: s } = q.tables;
  const rows = await q.db
    .select({ caseId: t.caseId, metric: t.metric, state: t.state, startedAt: t.startedAt, subject: c.subject, queueId: c.queueId, status: c.status, assignee: s.name })
    .from(t)
    .innerJoin(c, eq(c.id, t.caseId))
    .leftJoin(s, eq(s.id, c.assigneeId))
    .where(and(inArray(t.metric, ['firstResponse', 'nextResponse']), inArray(t.state, ['running', 'breached'])))
    .orderBy(asc(t.startedAt), asc(t.id))
    .limit(limit);
  return rows.map((r) => ({
    caseId: caseRef(r.caseId),
    subject: r.subject,
    queue: r.queueId,
    status: r.status,
    assignee: r.assignee,
    metric: r.metric,
    state: r.state,
    waitingSince: iso(r.startedAt),
    waitedMinutes: Math.max(0, Math.floor((now - r.startedAt) / 60_000)),
  }));
}
