/** The due timers' SQL, shared by sweep.ts and its dialect modules (sqlite.ts, pg.ts). */
import { slaNextAtSql } from '../../db/schema/index.js';

export interface DueRow {
  id: number;
  case_id: number;
  metric: string;
  policy: string;
  due_at: number;
  queue_id: string;
  priority: string;
  workflow: string;
  workflow_version: number;
  breach_due: 0 | 1;
}

export const DUE_COLUMNS = `t.id, t.case_id, t.metric, t.policy, t.due_at, c.queue_id, c.priority, c.workflow, c.workflow_version`;

export const NEXT_AT = slaNextAtSql('t.');

/**
 * A timer's breach is due once `now` is past its due time — the due instant itself is on time
 * (`isPastDue` in due.ts) — and its warning at its warning time. `now` is the dialect's
 * parameter marker (`@now`, `?`).
 */
export const BREACH_DUE = (now: string) => `t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at < ${now}`;
const WARNING_DUE = (now: string) => `t.warned_at IS NULL AND t.warn_at IS NOT NULL AND t.warn_at <= ${now}`;
/**
 * Beside the index's range (`NEXT_AT <= now`): a warning or a breach is due — not a timer whose
 * next instant is its due time and that is exactly at it (on time still).
 */
export const PENDING = (now: string) => `(${BREACH_DUE(now)}) OR (${WARNING_DUE(now)})`;

/**
 * Timers with a warning or a breach due at @now, the earliest first, at most @limit (INDEXED BY:
 * never a table scan). Each row says which: a breach when `breach_due` is 1, else a warning.
 */
export const DUE_TIMERS_SQL = `SELECT ${DUE_COLUMNS},
    (${BREACH_DUE('@now')}) AS breach_due
  FROM sla_timers t INDEXED BY sla_timers_next_idx JOIN cases c ON c.id = t.case_id
  WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= @now AND (${PENDING('@now')}) ORDER BY (${NEXT_AT}) LIMIT @limit`;

/** A timeline entry a sweep records (its data as JSON text). */
export interface SweepEvent {
  caseId: number;
  type: 'sla.warning' | 'sla.breached';
  data: string;
}

/** An outbox item a sweep queues (its payload as JSON text). */
export interface SweepOutboxItem {
  type: 'sla.dispatch' | 'case.event';
  caseId: number;
  payload: string;
}

/**
 * How a sweep marks a timer warned or breached — `SET …` (now, now) and the condition after
 * `WHERE id = …` (now): the conditional update a sweep must win to record it (another sweep
 * may have won it first).
 */
export const MARK = {
  'sla.breached': { set: "state = 'breached', breached_at = ?, warn_at = NULL, updated_at = ?", when: "breached_at IS NULL AND state = 'running' AND due_at IS NOT NULL AND due_at < ?" },
  'sla.warning': { set: 'warned_at = ?, updated_at = ?', when: "warned_at IS NULL AND state = 'running' AND warn_at IS NOT NULL AND warn_at <= ?" },
} as const;
