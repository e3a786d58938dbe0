/**
 * The dry-run's case pages on SQLite (index.ts): cached prepared statements, run at once. The
 * routing record is the stored JSON text.
 */
import type { Handle } from '../../db/store/index.js';
import { sqliteOf } from '../../db/store/index.js';
import { statement } from '../../db/fast.js';
import { COLUMNS, type CaseRowLite, type EventRowLite } from './rows.js';

export async function countRange(q: Handle, from: number, to: number): Promise<number> {
  return statement<[number, number], { n: number }>(sqliteOf(q), 'SELECT count(*) AS n FROM cases WHERE created_at >= ? AND created_at < ?').get(from, to)!.n;
}

export async function pageRange(q: Handle, from: number, to: number, afterAt: number, afterId: number, size: number): Promise<CaseRowLite[]> {
  return statement<[number, number, number, number, number], CaseRowLite>(
    sqliteOf(q),
    `SELECT ${COLUMNS} FROM cases WHERE created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`,
  ).all(from, to, afterAt, afterId, size);
}

export async function countLatest(q: Handle, queue: string | null, count: number): Promise<number> {
  const db = sqliteOf(q);
  return queue === null
    ? statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM (SELECT 1 FROM cases LIMIT ?)').get(count)!.n
    : statement<[string, number], { n: number }>(db, 'SELECT count(*) AS n FROM (SELECT 1 FROM cases WHERE queue_id = ? LIMIT ?)').get(queue, count)!.n;
}

export async function pageLatest(q: Handle, queue: string | null, before: number, size: number): Promise<CaseRowLite[]> {
  const db = sqliteOf(q);
  return queue === null
    ? statement<[number, number], CaseRowLite>(db, `SELECT ${COLUMNS} FROM cases WHERE id < ? ORDER BY id DESC LIMIT ?`).all(before, size)
    : statement<[string, number, number], CaseRowLite>(db, `SELECT ${COLUMNS} FROM cases WHERE queue_id = ? AND id < ? ORDER BY id DESC LIMIT ?`).all(queue, before, size);
}

/** The timeline entries of these types of these cases, by case then in order (ids and types bound as JSON: one cached statement). */
export async function eventsOf(q: Handle, caseIds: readonly number[], types: readonly string[]): Promise<EventRowLite[]> {
  return statement<[string, string], EventRowLite>(
    sqliteOf(q),
    'SELECT case_id, id, type, at, actor_type, data FROM case_events WHERE case_id IN (SELECT value FROM json_each(?)) AND type IN (SELECT value FROM json_each(?)) ORDER BY case_id, id',
  ).all(JSON.stringify(caseIds), JSON.stringify(types));
}
