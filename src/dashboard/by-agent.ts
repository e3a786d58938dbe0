/**
 * The dashboard's figures per agent, for one period and queue:
 * - **first responses** the agent gave: the cases whose first response (`first_response_at`, as
 *   the first-response time counts them: durations.ts) is in the period, attributed to the staff
 *   member who gave it — the author of the first public reply, or who logged the call in which
 *   staff spoke with the customer (the `staff.replied` / answering `call.logged` entry at that
 *   instant). A first response nobody on the staff is recorded as giving (an outbound call
 *   through the telephony hook, an imported case's history) counts for nobody: the row *No
 *   agent*. Count, median and p90 in calendar and business minutes, per agent;
 * - **SLA outcomes** while the case was assigned to the agent: the attainment outcomes (met and
 *   missed, attainment.ts, the scheduled report's definition) attributed to the case's assignee
 *   when the outcome was recorded, rebuilt from the timeline (`case.assigned`,
 *   `case.unassigned`, in the order they were recorded). A breach counts against whoever held
 *   the case when it breached, before the escalation it causes moves it on; an outcome on a case
 *   nobody held counts in the row *No agent* too (key `none`).
 * Rows: every staff member with a figure, and every active staff member who works the queue
 * (any queue, for all queues) with none, by name; then *No agent* when it has figures. The sums
 * of the rows are the dashboard's totals.
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import { callAnswers } from '../cases/call-answers.js';
import { breathe, LONG_READS, type Handle } from '../db/store/index.js';
import { inChunks, json } from '../db/store/rows.js';
import { assigneesAt, attainmentPercent, type SlaOutcome } from '../reports/sla-outcomes.js';
import type { AttainmentMetric } from './attainment.js';
import type { DurationMetric, DurationRow } from './durations.js';
import type { DashboardQuery } from './period.js';
import { summarize, type Summary } from './stats.js';

/** The row key of an agent: their staff id; `none` for outcomes on unassigned cases and first responses by nobody known. */
export type AgentKey = `${number}` | 'none';

export interface AgentRow {
  key: AgentKey;
  /** Null on the row of nobody. */
  staffId: number | null;
  name: string;
  active: boolean;
  firstResponses: { count: number; calendar: Summary; business: Summary; rows: DurationRow[] };
  met: number;
  missed: number;
  attainment: number | null;
  /** The outcomes counted, in timeline order. */
  outcomes: SlaOutcome[];
}

export interface AgentMetric {
  rows: AgentRow[];
}



/** Who gave each first response, in the order of `rows`: a staff id, or null when no staff member is recorded. */
async function responders(tx: Handle, rows: readonly DurationRow[]): Promise<(number | null)[]> {
  const { caseEvents, cases } = tx.tables;
  const out = new Array<number | null>(rows.length).fill(null);
  // A page of rows at a time: only its cases' maps are held.
  const size = LONG_READS.idsPerPage;
  for (let from = 0; from < rows.length; from += size) {
    const index = new Map<number, number>();
    for (let i = from; i < Math.min(rows.length, from + size); i++) index.set(rows[i]!.caseId, i);
    const events = await tx.db
      .select({ id: caseEvents.id, caseId: caseEvents.caseId, type: caseEvents.type, at: caseEvents.at, actorType: caseEvents.actorType, actorId: caseEvents.actorId, data: caseEvents.data })
      .from(caseEvents)
      // Only the entries at the case's first response: a long conversation's later replies are not read.
      .innerJoin(cases, and(eq(cases.id, caseEvents.caseId), eq(cases.firstResponseAt, caseEvents.at)))
      .where(and(inArray(caseEvents.caseId, [...index.keys()]), or(eq(caseEvents.type, 'staff.replied'), eq(caseEvents.type, 'call.logged'))))
      .orderBy(caseEvents.caseId, caseEvents.id);
    for (const e of events) {
      const i = index.get(e.caseId);
      if (i === undefined || e.at !== rows[i]!.end) continue;
      if (e.type === 'call.logged' && !callAnswers(e.actorType, json<{ direction?: unknown } | null>(e.data)?.direction)) continue;
      // The first entry decides.
      index.delete(e.caseId);
      out[i] = e.actorType === 'staff' && e.actorId !== null ? e.actorId : null;
    }
    await breathe(tx);
  }
  return out;
}

/** Inside the caller's read (`tx`), from the dashboard's first responses and attainment of the same query. */
export async function byAgent(tx: Handle, q: DashboardQuery, firstResponse: DurationMetric, attainment: AttainmentMetric): Promise<AgentMetric> {
  const responder = await responders(tx, firstResponse.rows);
  const outcomes = attainment.total.outcomes;
  const assignee = await assigneesAt(tx, outcomes);
  const keyOf = (id: number | null | undefined): AgentKey => (id === null || id === undefined ? 'none' : `${id}`);
  const groups = new Map<AgentKey, { responses: DurationRow[]; outcomes: SlaOutcome[] }>();
  const groupOf = (key: AgentKey) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { responses: [], outcomes: [] }));
    return g;
  };
  firstResponse.rows.forEach((r, i) => groupOf(keyOf(responder[i])).responses.push(r));
  for (const o of outcomes) groupOf(keyOf(assignee.get(o.eventId))).outcomes.push(o);

  const { staff, staffQueues } = tx.tables;
  const working = await tx.db
    .selectDistinct({ id: staff.id })
    .from(staff)
    .innerJoin(staffQueues, eq(staffQueues.staffId, staff.id))
    .where(q.queue === null ? eq(staff.active, true) : and(eq(staff.active, true), eq(staffQueues.queueId, q.queue)));
  for (const w of working) groupOf(keyOf(w.id));

  const ids = [...groups.keys()].filter((k) => k !== 'none').map(Number);
  const people = new Map<number, { name: string; active: boolean }>();
  for (const part of inChunks(ids)) {
    for (const s of await tx.db.select({ id: staff.id, name: staff.name, active: staff.active }).from(staff).where(inArray(staff.id, part))) people.set(s.id, s);
  }
  const rows = [...groups].map(([key, g]): AgentRow => {
    const staffId = key === 'none' ? null : Number(key);
    const person = staffId === null ? undefined : people.get(staffId);
    const met = g.outcomes.filter((o) => o.outcome === 'met').length;
    const missed = g.outcomes.length - met;
    return {
      key,
      staffId,
      name: person?.name ?? (staffId === null ? '' : `#${staffId}`),
      active: person?.active ?? false,
      firstResponses: {
        count: g.responses.length,
        calendar: summarize(g.responses.map((r) => r.calendarMinutes)),
        business: summarize(g.responses.map((r) => r.businessMinutes)),
        rows: g.responses,
      },
      met,
      missed,
      attainment: attainmentPercent(met, missed),
      outcomes: g.outcomes,
    };
  });
  rows.sort((a, b) => (a.staffId === null ? 1 : 0) - (b.staffId === null ? 1 : 0) || a.name.localeCompare(b.name) || (a.staffId ?? 0) - (b.staffId ?? 0));
  return { rows };
}
