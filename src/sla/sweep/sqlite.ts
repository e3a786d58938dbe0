/**
 * The SLA sweep's SQL that differs by dialect, SQLite's side (sweep.ts chooses this module or
 * pg.ts by the handle's dialect): the due timers read with the prepared statement of
 * DUE_TIMERS_SQL (`INDEXED BY`, named parameters), cached per connection; a batch recorded row
 * by row on cached statements, in one synchronous call (in process, a statement costs less
 * than building a set-based one).
 */
import type { Db } from '../../db/client.js';
import { perConnection, statement } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';
import { DUE_TIMERS_SQL, MARK, type DueRow, type SweepEvent, type SweepOutboxItem } from './due-sql.js';

const due = perConnection((db: Db) => db.$client.prepare<[{ now: number; limit: number }], DueRow>(DUE_TIMERS_SQL));

export function dueTimers(q: Handle, now: number, limit: number): Promise<DueRow[]> {
  return Promise.resolve(due(sqliteOf(q)).all({ now, limit }));
}

const INSERT_EVENT = `INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, 'system', NULL, ?)`;
const INSERT_OUTBOX = `INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)`;

/** The timers of `ids` this sweep marks (wins), in the order given, each with its due time as marked. */
export function markTimers(q: Handle, type: keyof typeof MARK, ids: readonly number[], now: number): Promise<Map<number, number>> {
  try {
    const mark = statement<[number, number, number, number], { due_at: number }>(sqliteOf(q), `UPDATE sla_timers SET ${MARK[type].set} WHERE id = ? AND ${MARK[type].when} RETURNING due_at`);
    const won = new Map<number, number>();
    for (const id of ids) {
      const row = mark.get(now, now, id, now);
      if (row) won.set(id, row.due_at);
    }
    return Promise.resolve(won);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** The timeline entries and outbox items of a batch, in order. */
export function insertRecords(q: Handle, events: readonly SweepEvent[], outbox: readonly SweepOutboxItem[], now: number): Promise<void> {
  try {
    const db = sqliteOf(q);
    const event = statement<[number, string, number, string]>(db, INSERT_EVENT);
    const item = statement<[string, number, string, number, number]>(db, INSERT_OUTBOX);
    for (const e of events) event.run(e.caseId, e.type, now, e.data);
    for (const o of outbox) item.run(o.type, o.caseId, o.payload, now, now);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
