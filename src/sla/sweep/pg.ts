/**
 * The SLA sweep's due timers on PostgreSQL: DUE_TIMERS_SQL without SQLite's `INDEXED BY` (the
 * planner uses sla_timers_next_idx, the same expression index) and with positional
 * parameters; `breach_due` comes back as a boolean and is handed out as 1/0, as on SQLite.
 * A batch is recorded set-based — one conditional UPDATE … RETURNING for its timers, one
 * INSERT … SELECT FROM unnest(arrays) for its timeline entries and one for its outbox items —
 * since every statement is a round trip to the server (row by row, 10,000 breaches took 8–9 s).
 * Each statement takes its values as one array per column, not a parameter per value.
 */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { all, run } from '../../db/store/rows.js';
import { BREACH_DUE, DUE_COLUMNS, MARK, NEXT_AT, PENDING, type DueRow, type SweepEvent, type SweepOutboxItem } from './due-sql.js';

const DUE = `SELECT ${DUE_COLUMNS},
    (${BREACH_DUE('?')}) AS breach_due
  FROM sla_timers t JOIN cases c ON c.id = t.case_id
  WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ? AND (${PENDING('?')}) ORDER BY (${NEXT_AT}) LIMIT ?`;

export async function dueTimers(q: Handle, now: number, limit: number): Promise<DueRow[]> {
  const rows = await all<Omit<DueRow, 'breach_due'> & { breach_due: boolean | null }>(q, DUE, [now, now, now, now, limit]);
  return rows.map((r) => ({ ...r, breach_due: r.breach_due ? 1 : 0 }));
}

/** The timers of `ids` this sweep marks (wins), each with its due time as marked: one conditional update, the ids as one array parameter (`sql.param`: drizzle would spread an array into a list). */
export async function markTimers(q: Handle, type: keyof typeof MARK, ids: readonly number[], now: number): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const won = await all<{ id: number; due_at: number }>(q, `UPDATE sla_timers SET ${MARK[type].set} WHERE id = ANY(?::bigint[]) AND ${MARK[type].when} RETURNING id, due_at`, [now, now, sql.param(ids), now]);
  return new Map(won.map((r) => [Number(r.id), Number(r.due_at)]));
}

/**
 * The timeline entries and outbox items of a batch, in order: one INSERT each, its rows from
 * `unnest` over one array per column (a statement of 4–5 parameters, not 5–6 per row).
 */
export async function insertRecords(q: Handle, events: readonly SweepEvent[], outbox: readonly SweepOutboxItem[], now: number): Promise<void> {
  if (events.length > 0) {
    await run(
      q,
      `INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data)
       SELECT e.case_id, e.type, ?, 'system', NULL, e.data FROM unnest(?::bigint[], ?::text[], ?::jsonb[]) WITH ORDINALITY AS e(case_id, type, data, n) ORDER BY e.n`,
      [now, ...[events.map((e) => e.caseId), events.map((e) => e.type), events.map((e) => e.data)].map((column) => sql.param(column))],
    );
  }
  if (outbox.length > 0) {
    await run(
      q,
      `INSERT INTO outbox (type, case_id, payload, created_at, available_at)
       SELECT o.type, o.case_id, o.payload, ?, ? FROM unnest(?::text[], ?::bigint[], ?::jsonb[]) WITH ORDINALITY AS o(type, case_id, payload, n) ORDER BY o.n`,
      [now, now, ...[outbox.map((o) => o.type), outbox.map((o) => o.caseId), outbox.map((o) => o.payload)].map((column) => sql.param(column))],
    );
  }
}
