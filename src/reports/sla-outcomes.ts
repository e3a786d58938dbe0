/**
 * SLA outcomes in a period [from, to), the one definition of attainment shared by the
 * scheduled SLA report (build-report.ts) and the manager dashboard (src/dashboard/):
 * - *met*: a timer fulfilled for the first time in the period without having breached
 *   (`sla.fulfilled` with `first: true, breached: false`);
 * - *missed*: a timer breached in the period (`sla.breached`);
 * - attainment = met / (met + missed), in percent with one decimal; null without outcomes.
 * Metric, policy and queue are the ones recorded with the outcome (the queue responsible at
 * that moment, before any escalation a breach causes).
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import { breathe, type Handle } from '../db/store/index.js';
import { inChunks, json, keysetPages } from '../db/store/rows.js';

export type SlaOutcomeKind = 'met' | 'missed';

export interface SlaOutcome {
  eventId: number;
  caseId: number;
  at: number;
  outcome: SlaOutcomeKind;
  metric: string;
  policy: string;
  queue: string;
}

const UNKNOWN = '(unknown)';

interface Row {
  id: number;
  case_id: number;
  type: string;
  at: number;
  /** JSON text on SQLite, the parsed jsonb on PostgreSQL. */
  data: string | Record<string, unknown>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : UNKNOWN);

// Both timers' outcomes of [from, to) in timeline order, a page after (at, id). Parameters:
// from, to, at, id (twice), page size.
const OUTCOMES = `SELECT id, case_id, type, at, data FROM case_events WHERE type = 'sla.breached' AND at >= ? AND at < ? AND (at, id) > (?, ?)
    UNION ALL
    SELECT id, case_id, type, at, data FROM case_events WHERE type = 'sla.fulfilled' AND at >= ? AND at < ? AND (at, id) > (?, ?)
    ORDER BY at, id LIMIT ?`;

/** Every met and missed outcome recorded in [from, to), in timeline order: the same SQL on both dialects, a page (LONG_READS) at a time. */
export async function readSlaOutcomes(q: Handle, from: number, to: number): Promise<SlaOutcome[]> {
  const out: SlaOutcome[] = [];
  const params = (after: readonly [number, number], size: number) => [from, to, ...after, from, to, ...after, size];
  for await (const page of keysetPages<Row>(q, OUTCOMES, from, params, (r) => [r.at, r.id])) for (const outcome of outcomesOf(page)) out.push(outcome);
  return out;
}

function outcomesOf(rows: readonly Row[]): SlaOutcome[] {
  const out: SlaOutcome[] = [];
  for (const row of rows) {
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>;
    let outcome: SlaOutcomeKind;
    if (row.type === 'sla.breached') outcome = 'missed';
    else if (data.first === true && data.breached === false) outcome = 'met';
    else continue;
    out.push({ eventId: row.id, caseId: row.case_id, at: row.at, outcome, metric: text(data.metric), policy: text(data.policy), queue: text(data.queue) });
  }
  return out;
}

/** met / (met + missed) in percent, one decimal; null when there is no outcome. */
export function attainmentPercent(met: number, missed: number): number | null {
  return met + missed === 0 ? null : Math.round((met / (met + missed)) * 1000) / 10;
}



/**
 * Who held each entry's case just before the entry was recorded — the assignee by the timeline's
 * `case.assigned` / `case.unassigned` entries with a smaller id — by entry id (null: unassigned).
 * The dashboard's table by agent and the SLA report's breaches attribute outcomes with it.
 */
export async function assigneesAt(tx: Handle, outcomes: readonly { eventId: number; caseId: number }[]): Promise<Map<number, number | null>> {
  const { caseEvents } = tx.tables;
  const history = new Map<number, { id: number; assignee: number | null }[]>();
  for (const part of inChunks([...new Set(outcomes.map((o) => o.caseId))])) {
    const events = await tx.db
      .select({ id: caseEvents.id, caseId: caseEvents.caseId, type: caseEvents.type, data: caseEvents.data })
      .from(caseEvents)
      .where(and(inArray(caseEvents.caseId, part), or(eq(caseEvents.type, 'case.assigned'), eq(caseEvents.type, 'case.unassigned'))))
      .orderBy(caseEvents.caseId, caseEvents.id);
    for (const e of events) {
      const id = json<{ assigneeId?: unknown } | null>(e.data)?.assigneeId;
      const list = history.get(e.caseId) ?? [];
      list.push({ id: e.id, assignee: e.type === 'case.assigned' && typeof id === 'number' ? id : null });
      history.set(e.caseId, list);
    }
    await breathe(tx);
  }
  const out = new Map<number, number | null>();
  for (const o of outcomes) {
    let assignee: number | null = null;
    for (const change of history.get(o.caseId) ?? []) {
      if (change.id > o.eventId) break;
      assignee = change.assignee;
    }
    out.set(o.eventId, assignee);
  }
  return out;
}
