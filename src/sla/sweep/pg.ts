/**
 * The SLA sweep's due timers on PostgreSQL: DUE_TIMERS_SQL without SQLite's `INDEXED BY` (the
 * planner uses sla_timers_next_idx, the same expression index) and with positional
 * parameters; `breach_due` comes back as a boolean and is handed out as 1/0, as on SQLite.
 */
import type { Handle } from '../../db/store/index.js';
import { all } from '../../db/store/rows.js';
import { DUE_COLUMNS, NEXT_AT, type DueRow } from './due-sql.js';

const DUE = `SELECT ${DUE_COLUMNS},
    (t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= ?) AS breach_due
  FROM sla_timers t JOIN cases c ON c.id = t.case_id
  WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ? ORDER BY (${NEXT_AT}) LIMIT ?`;

export async function dueTimers(q: Handle, now: number, limit: number): Promise<DueRow[]> {
  const rows = await all<Omit<DueRow, 'breach_due'> & { breach_due: boolean | null }>(q, DUE, [now, now, limit]);
  return rows.map((r) => ({ ...r, breach_due: r.breach_due ? 1 : 0 }));
}
