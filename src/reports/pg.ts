/**
 * The report's SQL that differs on PostgreSQL (the pair of sqlite.ts): no `INDEXED BY` —
 * PostgreSQL's planner matches the expression of `sla_timers_next_idx` itself.
 */
import { sql } from 'drizzle-orm';
import { slaNextAtSql } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { TimerRiskRow } from './sqlite.js';

const NEXT_AT = sql.raw(slaNextAtSql('t.'));

/** Counting timers, not breached, due (or warning) by `bound`, soonest first. */
export function timersDueBy(q: Handle, bound: number): Promise<TimerRiskRow[]> {
  return q.all<TimerRiskRow>(
    sql`SELECT t.case_id, t.metric, t.policy, t.policy_version, t.calendar, t.due_at, t.target_minutes, t.used_minutes, t.segment_started_at, c.subject, c.queue_id, c.priority
        FROM sla_timers t JOIN cases c ON c.id = t.case_id
        WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ${bound}
          AND t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= ${bound} ORDER BY t.due_at, t.id`,
  );
}
