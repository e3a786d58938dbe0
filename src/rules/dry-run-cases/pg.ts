/**
 * The dry-run's case pages on PostgreSQL (index.ts): the same SQL, with the routing record
 * (jsonb) handed out as text like SQLite's, and the counts aliased.
 */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { type CaseRowLite, type EventRowLite } from './rows.js';

const COLUMNS = sql.raw('id, subject, description, channel, requested_priority, created_at, routing::text AS routing, workflow, workflow_version, imported_at, sla_config_version');

export async function countRange(q: Handle, from: number, to: number): Promise<number> {
  const row = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM cases WHERE created_at >= ${from} AND created_at < ${to}`);
  return Number(row?.n ?? 0);
}

export function pageRange(q: Handle, from: number, to: number, afterAt: number, afterId: number, size: number): Promise<CaseRowLite[]> {
  return q.all<CaseRowLite>(
    sql`SELECT ${COLUMNS} FROM cases WHERE created_at >= ${from} AND created_at < ${to} AND (created_at, id) > (${afterAt}, ${afterId}) ORDER BY created_at, id LIMIT ${size}`,
  );
}

export async function countLatest(q: Handle, queue: string | null, count: number): Promise<number> {
  const row = await q.get<{ n: number }>(
    queue === null
      ? sql`SELECT count(*) AS n FROM (SELECT 1 FROM cases LIMIT ${count}) AS c`
      : sql`SELECT count(*) AS n FROM (SELECT 1 FROM cases WHERE queue_id = ${queue} LIMIT ${count}) AS c`,
  );
  return Number(row?.n ?? 0);
}

export function pageLatest(q: Handle, queue: string | null, before: number, size: number): Promise<CaseRowLite[]> {
  return q.all<CaseRowLite>(
    queue === null
      ? sql`SELECT ${COLUMNS} FROM cases WHERE id < ${before} ORDER BY id DESC LIMIT ${size}`
      : sql`SELECT ${COLUMNS} FROM cases WHERE queue_id = ${queue} AND id < ${before} ORDER BY id DESC LIMIT ${size}`,
  );
}

/** The timeline entries of these types of these cases, by case then in order (`data` as text, as on SQLite). */
export function eventsOf(q: Handle, caseIds: readonly number[], types: readonly string[]): Promise<EventRowLite[]> {
  return q.all<EventRowLite>(
    // Each list bound as one array parameter (a plain array would be spread into one parameter per value).
    sql`SELECT case_id, id, type, at, actor_type, data::text AS data FROM case_events WHERE case_id = ANY(${sql.param([...caseIds])}::bigint[]) AND type = ANY(${sql.param([...types])}::text[]) ORDER BY case_id, id`,
  );
}
