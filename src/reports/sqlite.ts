/**
 * The report's SQL that differs on SQLite (the pair of pg.ts, chosen in build-report.ts by
 * `q.dialect`): the at-risk timers name their partial expression index with `INDEXED BY`
 * (SQLite's planner does not match the CASE expression of `sla_timers_next_idx` by itself).
 */
import { sql } from 'drizzle-orm';
import { slaNextAtSql } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';

export interface TimerRiskRow {
  case_id: number;
  metric: string;
  policy: string;
  policy_version: number;
  calendar: string;
  due_at: number;
  target_minutes: number;
  used_minutes: number;
  segment_started_at: number | null;
  subject: string;
  queue_id: string;
  priority: string;
}

const NEXT_AT = sql.raw(slaNextAtSql('t.'));

/** Counting timers, not breached, due (or warning) by `bound`, soonest first. */
export function timersDueBy(q: Handle, bound: number): Promise<TimerRiskRow[]> {
  return q.all<TimerRiskRow>(
    sql`SELECT t.case_id, t.metric, t.policy, t.policy_version, t.calendar, t.due_at, t.target_minutes, t.used_minutes, t.segment_started_at, c.subject, c.queue_id, c.priority
        FROM sla_timers t INDEXED BY sla_timers_next_idx JOIN cases c ON c.id = t.case_id
        WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ${bound}
          AND t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= ${bound} ORDER BY t.due_at, t.id`,
  );
}
