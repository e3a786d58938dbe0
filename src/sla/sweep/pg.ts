/**
 * The SLA sweep's due timers on PostgreSQL: DUE_TIMERS_SQL without SQLite's `INDEXED BY` (the
 * planner uses sla_timers_next_idx, the same expression index) and with positional
 * parameters; `breach_due` comes back as a boolean and is handed out as 1/0, as on SQLite.
 * A batch is recorded set-based — one conditional UPDATE … RETURNING for its timers, one
 * multi-row INSERT for its timeline entries and one for its outbox items — since every
 * statement is a round trip to the server (row by row, 10,000 breaches took 8–9 s).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { all, bound } from '../../db/store/rows.js';
import { DUE_COLUMNS, MARK, NEXT_AT, type DueRow, type SweepEvent, type SweepOutboxItem } from './due-sql.js';

const DUE = `SELECT ${DUE_COLUMNS},
    (t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= ?) AS breach_due
  FROM sla_timers t JOIN cases c ON c.id = t.case_id
  WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ? ORDER BY (${NEXT_AT}) LIMIT ?`;

export async function dueTimers(q: Handle, now: number, limit: number): Promise<DueRow[]> {
  const rows = await all<Omit<DueRow, 'breach_due'> & { breach_due: boolean | null }>(q, DUE, [now, now, limit]);
  return rows.map((r) => ({ ...r, breach_due: r.breach_due ? 1 : 0 }));
}

/** Rows of values as `(v, v, …), (…)`, each value a parameter. */
function valuesList(rows: readonly (readonly unknown[])[]): SQL {
  return sql.join(
    rows.map((row) => sql`(${sql.join(row.map((v) => sql`${v}`), sql`, `)})`),
    sql`, `,
  );
}

/** The timers of `ids` this sweep marks (wins): one conditional update. */
export async function markTimers(q: Handle, type: keyof typeof MARK, ids: readonly number[], now: number): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const won = await q.all<{ id: number }>(sql`${bound(`UPDATE sla_timers SET ${MARK[type].set}`, [now, now])} WHERE id IN (${list}) AND ${bound(MARK[type].when, [now])} RETURNING id`);
  return new Set(won.map((r) => Number(r.id)));
}

/** The timeline entries and outbox items of a batch, in order: one INSERT each. */
export async function insertRecords(q: Handle, events: readonly SweepEvent[], outbox: readonly SweepOutboxItem[], now: number): Promise<void> {
  if (events.length > 0) {
    await q.run(sql`INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES ${valuesList(events.map((e) => [e.caseId, e.type, now, 'system', null, e.data]))}`);
  }
  if (outbox.length > 0) {
    await q.run(sql`INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES ${valuesList(outbox.map((o) => [o.type, o.caseId, o.payload, now, now]))}`);
  }
}
